// Where the dataset is: the flag, then $MASKWATCH_DATA, then the default folder.
#include <cstdlib>
#include <filesystem>

#include "maskwatch.h"

namespace fs = std::filesystem;

namespace mw {

std::string resolve_data_dir(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* env = std::getenv("MASKWATCH_DATA"); env && *env) return env;
  const std::string fallback = "../shared/data/face-mask-detection";
  if (fs::is_directory(fallback)) return fallback;
  throw Error(
      "dataset",
      "no dataset found: pass --data DIR or set MASKWATCH_DATA to a Pascal VOC folder (images/ + annotations/), "
      "e.g. the Kaggle 'Face Mask Detection' set (andrewmvd/face-mask-detection, CC0)");
}

}  // namespace mw
