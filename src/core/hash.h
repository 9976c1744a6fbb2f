// Content hashes: SHA-256 names model artifacts and manifests, and signs uploads.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace mw {
std::string sha256_hex(std::string_view bytes);
// Hex SHA-256 of a file, read in pieces (a large upload is never held whole).
std::string sha256_file_hex(const std::string& path);
// Lower-case hex of raw bytes.
std::string hex_encode(const unsigned char* data, std::size_t len);
}  // namespace mw
