// Local files: whole-file reads with a size limit, atomic writes.
#pragma once
#include <cstddef>
#include <string>

namespace mw {
// Reads a whole file; throws mw::Error naming the path when it is missing,
// unreadable or larger than max_bytes.
std::string read_file(const std::string& path, std::size_t max_bytes = std::size_t(1) << 31);
// Writes through a temporary file in the same folder and renames it into place.
void write_file_atomic(const std::string& path, const std::string& bytes);
// UTC time as ISO 8601, e.g. 2026-01-02T03:04:05Z.
// The current UTC time in a strftime format.
std::string utc_now(const char* strftime_format);
std::string utc_now_iso();
}  // namespace mw
