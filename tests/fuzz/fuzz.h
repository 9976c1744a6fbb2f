// What the fuzz targets share. The rule: a parser of outside data rejects bad
// input with mw::Error (naming the file or field); that is a clean rejection.
// Anything else that escapes (another exception, a crash, an ASan or UBSan
// report, a timeout, running out of memory) is a finding: libFuzzer aborts on
// an uncaught exception and saves the input.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "maskwatch.h"

namespace mw::fuzz {

inline std::string bytes_of(const std::uint8_t* data, std::size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

// Runs `parse`; mw::Error is the parser refusing the input, and is fine.
template <class Parse>
void accept_or_reject(Parse&& parse) {
  try {
    parse();
  } catch (const Error&) {
  }
}

// Outside JSON as the program reads it first: malformed text is refused
// before any of the parsers under test sees it (a discarded value).
inline json parse_json(const std::uint8_t* data, std::size_t size) {
  return json::parse(data, data + size, nullptr, false);
}

}  // namespace mw::fuzz
