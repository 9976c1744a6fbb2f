// Small text helpers: header names and values (the HTTP code), decimal numbers
// (boxes and options given as text).
#pragma once
#include <cctype>
#include <cstdlib>
#include <string>

namespace mw {

inline std::string lower_ascii(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Without leading and trailing spaces, tabs, CR and LF.
inline std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

// A decimal number, nothing else (strtod alone also takes hex, "inf" and "nan").
inline bool parse_decimal(const std::string& text, double& out) {
  if (text.empty() || text.find_first_not_of("0123456789+-.eE") != std::string::npos) return false;
  char* end = nullptr;
  out = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size();
}

// Exactly `count` decimal numbers separated by commas, into out[0..count).
inline bool parse_decimals(const std::string& text, double* out, int count) {
  std::size_t start = 0;
  for (int i = 0; i < count; ++i) {
    const std::size_t comma = i + 1 < count ? text.find(',', start) : text.size();
    if (comma == std::string::npos || !parse_decimal(text.substr(start, comma - start), out[i])) return false;
    start = comma + 1;
  }
  return true;
}

}  // namespace mw
