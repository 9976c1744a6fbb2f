#include "core/json_text.h"

#include <cstdio>

namespace mw {

std::string text_field(const json& object, const char* name) {
  if (!object.is_object()) return "";
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

std::string json_text(const json& value, int indent) {
  return value.dump(indent, ' ', false, json::error_handler_t::replace);
}

namespace {

// The length of the UTF-8 sequence at s[i] (2..4), or 0 when it is not one.
std::size_t utf8_length(std::string_view s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  const std::size_t n = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  const auto c1 = static_cast<unsigned char>(s[i + 1]);
  if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 >= 0xA0) || (c == 0xF0 && c1 < 0x90) || (c == 0xF4 && c1 >= 0x90))
    return 0;  // overlong, surrogate or past U+10FFFF
  return n;
}

}  // namespace

std::string escape_text(std::string_view outside) {
  std::string out;
  std::size_t i = 0;
  while (i < outside.size() && i < kMaxQuotedBytes) {
    const auto c = static_cast<unsigned char>(outside[i]);
    const std::size_t n = c >= 0x80 ? utf8_length(outside, i) : 0;
    if (n > 0) {
      out.append(outside.substr(i, n));
      i += n;
      continue;
    }
    if (c >= 0x20 && c < 0x7F && c != '\\' && c != '\'') {
      out += char(c);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    }
    ++i;
  }
  if (i < outside.size()) out += "... (" + std::to_string(outside.size()) + " bytes)";
  return out;
}

std::string quote_text(std::string_view outside) { return "'" + escape_text(outside) + "'"; }

}  // namespace mw
