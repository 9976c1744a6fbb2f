// What build this is: the project's version and the git commit it was built
// from (made at build time by cmake/version.cmake).
#pragma once

namespace mw {
const char* version_string();  // "0.1.0 (commit 1a2b3c4d, dirty)"
}
