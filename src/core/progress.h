// A Reporter for terminals and logs: a redrawn bar on a TTY, a plain line
// every quarter otherwise (a step's name may carry a changing detail in
// parentheses: "scan (12 photos/s)"). Text goes to stderr so that --json stays clean.
#pragma once
#include "maskwatch.h"

namespace mw {
Reporter console_reporter(bool quiet = false);
}
