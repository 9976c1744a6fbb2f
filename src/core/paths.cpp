#include "core/paths.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <random>
#include <vector>

#include "core/env.h"
#include "core/huge_pages.h"
#include "maskwatch.h"

namespace fs = std::filesystem;

namespace mw {

std::string read_file(const std::string& path, std::size_t max_bytes) {
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  if (ec) throw Error(path, "cannot read: " + ec.message());
  if (size > max_bytes)
    throw Error(path, "file is " + std::to_string(size) + " bytes, over the limit of " + std::to_string(max_bytes));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path, std::string("cannot open: ") + std::strerror(errno));
  std::string data;
  data.reserve(size);
  advise_huge_pages(data.data(), size);
  data.resize(size);
  in.read(data.data(), static_cast<std::streamsize>(size));
  if (static_cast<std::size_t>(in.gcount()) != size) throw Error(path, "short read");
  return data;
}

void write_file_atomic(const std::string& path, const std::string& bytes) {
  fs::path target(path);
  if (target.has_parent_path()) fs::create_directories(target.parent_path());
  std::random_device rd;
  fs::path tmp = target;
  tmp += ".tmp." + std::to_string(::getpid()) + "." + std::to_string(rd());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw Error(tmp.string(), std::string("cannot create: ") + std::strerror(errno));
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) throw Error(tmp.string(), "write failed (disk full?)");
  }
  std::error_code ec;
  fs::rename(tmp, target, ec);
  if (ec) {
    fs::remove(tmp);
    throw Error(path, "cannot rename into place: " + ec.message());
  }
}

std::string executable_dir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw Error("/proc/self/exe", "cannot find the running executable: " + ec.message());
  return exe.parent_path().string();
}

namespace {

// The folder of the file this code was loaded from (the executable, or
// libmaskwatch.so), "" when unknown.
fs::path code_dir() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&code_dir), &info) == 0 || !info.dli_fname) return {};
  std::error_code ec;
  const fs::path file = fs::canonical(info.dli_fname, ec);
  return ec ? fs::path() : file.parent_path();
}

}  // namespace

std::string find_share_dir(const std::string& share, const std::string& marker, const std::string& env_var,
                           const std::string& what) {
  const std::string from_env = env_or(env_var.c_str());
  const fs::path exe_dir = executable_dir();
  std::vector<fs::path> candidates{(exe_dir.parent_path() / share).lexically_normal(), exe_dir / share};
  if (const fs::path lib = code_dir(); !lib.empty() && lib != exe_dir)
    candidates.push_back((lib.parent_path() / share).lexically_normal());
  if (!from_env.empty()) candidates = {from_env};
  std::string looked_at;
  for (const auto& dir : candidates) {
    if (std::filesystem::is_regular_file(dir / marker)) return dir.string();
    looked_at += (looked_at.empty() ? "" : ", ") + dir.string();
  }
  throw Error(what + " (" + marker + ")", "not found in " + looked_at +
                                              "; run scripts/setup.sh and build (the build copies them into <build>/" +
                                              share + "), or set " + env_var + " to the folder that holds them");
}

std::string format_utc(std::int64_t t, const char* strftime_format) {
  const auto seconds = static_cast<std::time_t>(t);
  std::tm tm{};
  if (!gmtime_r(&seconds, &tm)) throw Error("format_utc", "time out of range: " + std::to_string(t));
  char buf[64];
  if (std::strftime(buf, sizeof buf, strftime_format, &tm) == 0)
    throw Error("format_utc", std::string("empty or too long a result for '") + strftime_format + "'");
  return buf;
}

std::string utc_now(const char* strftime_format) { return format_utc(std::time(nullptr), strftime_format); }

std::string utc_now_iso() { return utc_now(kIso8601Utc); }

}  // namespace mw
