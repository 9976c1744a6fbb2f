// Base64 (RFC 4648, standard alphabet, '=' padding) for binary payloads in
// JSON, e.g. an image in a Lambda event.
#pragma once
#include <string>
#include <string_view>

namespace mw {
std::string base64_encode(std::string_view bytes);
// Decodes padded base64; ASCII whitespace (line breaks from `base64`) is
// skipped. Throws mw::Error("base64", reason) on a character outside the
// alphabet, a length that is not a multiple of 4, misplaced padding, or
// non-zero bits after the last byte.
std::string base64_decode(std::string_view text);
}  // namespace mw
