// Test fixtures, made by the tests from the real dataset: no copies of the
// data are committed. The dataset comes from $MASKWATCH_DATA (set by CMake to
// ../shared/data/face-mask-detection unless given).
#pragma once
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

namespace fixture {

namespace fs = std::filesystem;

inline std::string data_dir() {
  const char* e = std::getenv("MASKWATCH_DATA");
  return e && *e ? e : "../shared/data/face-mask-detection";
}

// The folders temp_dir made, removed when the test process exits (stores
// with checkpoints run to a gigabyte); MASKWATCH_KEEP_TEMP=1 keeps them for
// a look after a failure.
struct TempDirs {
  std::vector<std::string> dirs;
  ~TempDirs() {
    const char* keep = std::getenv("MASKWATCH_KEEP_TEMP");
    if (keep && std::string(keep) == "1") return;
    std::error_code ec;
    for (const auto& d : dirs) fs::remove_all(d, ec);
  }
};
inline TempDirs& temp_dirs() {
  static TempDirs dirs;
  return dirs;
}

// A fresh empty folder under the system temp dir.
inline std::string temp_dir(const std::string& tag) {
  std::string tmpl = (fs::temp_directory_path() / ("maskwatch-" + tag + "-XXXXXX")).string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  temp_dirs().dirs.push_back(tmpl);
  return tmpl;
}

inline void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

// With MASKWATCH_FUZZ_SEEDS set (scripts/sanitize.sh), a test's input is also
// written to $MASKWATCH_FUZZ_SEEDS/<fuzz target>/<name>: the fuzzers' seed corpora.
inline void save_fuzz_seed(const std::string& target, const std::string& name, const std::string& bytes) {
  const char* dir = std::getenv("MASKWATCH_FUZZ_SEEDS");
  if (!dir || !*dir) return;
  constexpr std::size_t kMaxNameChars = 64;  // the rest of the file name is the bytes' hash
  std::string file = name.substr(0, kMaxNameChars);
  for (char& c : file)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '-';
  write(fs::path(dir) / target / (file + "-" + std::to_string(std::hash<std::string>{}(bytes))), bytes);
}

// A VOC folder holding the first n images of the dataset (by number).
inline std::string small_dataset(int n, const std::string& tag = "voc") {
  auto src = fs::path(data_dir());
  if (!fs::exists(src / "annotations")) throw std::runtime_error("dataset not found at " + src.string());
  auto dir = fs::path(temp_dir(tag));
  fs::create_directories(dir / "images");
  fs::create_directories(dir / "annotations");
  for (int i = 0; i < n; ++i) {
    auto stem = "maksssksksss" + std::to_string(i);
    fs::copy_file(src / "annotations" / (stem + ".xml"), dir / "annotations" / (stem + ".xml"));
    fs::copy_file(src / "images" / (stem + ".jpg"), dir / "images" / (stem + ".jpg"));
  }
  return dir.string();
}

}  // namespace fixture
