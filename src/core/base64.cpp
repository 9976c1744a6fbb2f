#include "core/base64.h"

#include <array>
#include <cstdint>

#include "maskwatch.h"

namespace mw {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Each byte's 6-bit value, -1 outside the alphabet.
constexpr std::array<std::int8_t, 256> make_table() {
  std::array<std::int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::int8_t>(i);
  return t;
}
constexpr auto kTable = make_table();

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  auto byte = [&](std::size_t k) { return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[k])); };
  for (; i + 3 <= bytes.size(); i += 3) {
    std::uint32_t v = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(v >> s) & 63];
  }
  std::size_t rest = bytes.size() - i;
  if (rest) {
    std::uint32_t v = byte(i) << 16 | (rest == 2 ? byte(i + 1) << 8 : 0);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string base64_decode(std::string_view text) {
  std::string clean;
  clean.reserve(text.size());
  for (char c : text)
    if (!is_space(c)) clean += c;
  if (clean.size() % 4 != 0)
    throw Error("base64", "length " + std::to_string(clean.size()) + " is not a multiple of 4 (missing padding?)");
  std::string out;
  out.reserve(clean.size() / 4 * 3);
  for (std::size_t i = 0; i < clean.size(); i += 4) {
    bool last = i + 4 == clean.size();
    int pad = 0;
    std::uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      char c = clean[i + k];
      if (c == '=') {
        // Padding only at the end of the last quantum, at most two.
        if (!last || k < 2) throw Error("base64", "misplaced '=' at offset " + std::to_string(i + k));
        ++pad;
        v <<= 6;
        continue;
      }
      if (pad) throw Error("base64", "data after '=' at offset " + std::to_string(i + k));
      auto d = kTable[static_cast<unsigned char>(c)];
      if (d < 0) throw Error("base64", "invalid character at offset " + std::to_string(i + k));
      v = v << 6 | static_cast<std::uint32_t>(d);
    }
    if ((pad == 1 && (v & 0xFF)) || (pad == 2 && (v & 0xFFFF)))
      throw Error("base64", "non-zero bits after the last byte (not canonical base64)");
    out += static_cast<char>(v >> 16);
    if (pad < 2) out += static_cast<char>((v >> 8) & 0xFF);
    if (pad < 1) out += static_cast<char>(v & 0xFF);
  }
  return out;
}

}  // namespace mw
