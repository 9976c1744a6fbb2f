// Content hashes: SHA-256 names model artifacts and manifests.
#pragma once
#include <string>
#include <string_view>

namespace mw {
std::string sha256_hex(std::string_view bytes);
}
