// Settings from the environment.
#pragma once
#include <cstdlib>
#include <string>

namespace mw {

// The variable's value, or `fallback` when it is unset or empty.
inline std::string env_or(const char* name, const std::string& fallback = "") {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

}  // namespace mw
