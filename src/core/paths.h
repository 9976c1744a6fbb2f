// Local files: whole-file reads with a size limit, atomic writes; the
// running executable's folder; UTC times as text.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace mw {
// Reads a whole file; throws mw::Error naming the path when it is missing,
// unreadable or larger than max_bytes.
std::string read_file(const std::string& path, std::size_t max_bytes = std::size_t(1) << 31);
// Writes through a temporary file in the same folder and renames it into place.
void write_file_atomic(const std::string& path, const std::string& bytes);
// The folder of the running executable (where /proc/self/exe points).
std::string executable_dir();
// A folder of data files the build copies beside its programs (pretrained
// weights), looked up at run time, first match wins:
//   1. $env_var when set (and only it);
//   2. <folder of the executable>/../<share>: an installed tree
//      (<prefix>/bin/maskwatch) and build/tests/*;
//   3. <folder of the executable>/<share>: build/maskwatch;
//   4. <folder of libmaskwatch.so>/../<share>, when the code runs from it
//      (<prefix>/lib/libmaskwatch.so, a program installed elsewhere).
// The folder must hold `marker`. Throws mw::Error naming `what` and every
// place looked at when none does.
std::string find_share_dir(const std::string& share, const std::string& marker, const std::string& env_var,
                           const std::string& what);

inline constexpr const char* kIso8601Utc = "%Y-%m-%dT%H:%M:%SZ";  // e.g. 2026-01-02T03:04:05Z
// UTC seconds since the epoch in a strftime format, ISO 8601 by default.
std::string format_utc(std::int64_t t, const char* strftime_format = kIso8601Utc);
// The current UTC time in a strftime format; utc_now_iso(): as ISO 8601.
std::string utc_now(const char* strftime_format);
std::string utc_now_iso();
}  // namespace mw
