#include "maskwatch.h"

namespace mw {

Error::Error(std::string where, std::string what)
    : std::runtime_error(where.empty() ? what : where + ": " + what),
      where_(std::move(where)),
      reason_(std::move(what)) {}

}  // namespace mw
