// The dataset index: every accepted image with its checked boxes, as ingest
// stored it. Images are decoded here too, with limits on size.
#pragma once
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "maskwatch.h"
#include "store/object_store.h"

namespace mw {

inline constexpr const char* kIndexKey = "dataset/index.json";
inline constexpr const char* kIngestReportKey = "reports/ingest.json";
inline constexpr std::size_t kMaxImageBytes = 64u << 20;
inline constexpr long kMaxImagePixels = 60'000'000;
// Each side, too: a thin image under the pixel cap would still ask for a crop
// square as wide as its long side.
inline constexpr int kMaxImageSide = 16384;

struct ImageRecord {
  std::string stem;       // file name without extension
  std::string image_key;  // key of the encoded image in the store
  int width = 0, height = 0;
  std::vector<Box> boxes;   // clipped, non-empty
  std::vector<int> labels;  // class index per box
};

struct DatasetIndex {
  std::vector<ImageRecord> images;
  json to_json() const;
  static DatasetIndex from_json(const json& j);
};

DatasetIndex load_index(const ObjectStore& store);

// Decodes an encoded image to 8-bit RGB; throws mw::Error(source, why).
cv::Mat decode_rgb(const std::string& bytes, const std::string& source);

}  // namespace mw
