// The dataset index: every accepted image with its checked boxes, as ingest
// stored it. Images are decoded here too, with limits on size.
//
// Store layout: ingest writes each dataset's files under a generation of
// their own, raw/<generation>/images/<file> and
// raw/<generation>/annotations/<stem>.xml, where the generation is the first
// 16 hex digits of the SHA-256 of every file's name, size and SHA-256. Only
// then does it write dataset/index.json (one atomic put: the switch), which
// names the generation and every file's key, size and SHA-256; after the
// switch it removes every other raw/ key (older generations, the files of an
// ingest that stopped half-way, the layout without generations). A stop at
// any point leaves the index and the files it names as they were.
#pragma once
#include <cstdint>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "maskwatch.h"
#include "store/object_store.h"

namespace mw {

inline constexpr const char* kIndexKey = "dataset/index.json";
inline constexpr const char* kIngestReportKey = "reports/ingest.json";
inline constexpr const char* kRawPrefix = "raw/";
// 2: files under raw/<generation>/ with their sizes and SHA-256 in the index.
inline constexpr int kIndexFormat = 2;
inline constexpr std::size_t kGenerationHexDigits = 16;
inline constexpr std::size_t kMaxImageBytes = 64u << 20;
// Each side, too: a thin image under the pixel cap would still ask for a crop
// square as wide as its long side.
inline constexpr int kMaxImageSide = 16384;

// One ingested file: its key in the store and what its bytes must be.
struct StoredFile {
  std::string key;
  std::uint64_t size = 0;
  std::string sha256;  // lower-case hex
};

struct ImageRecord {
  std::string stem;       // file name without extension
  StoredFile image;       // the encoded image
  StoredFile annotation;  // its VOC annotation
  int width = 0, height = 0;
  std::vector<Box> boxes;   // clipped, non-empty
  std::vector<int> labels;  // class index per box
};

struct DatasetIndex {
  std::string generation;  // the raw/<generation>/ the files are under
  std::vector<ImageRecord> images;
  json to_json() const;
  static DatasetIndex from_json(const json& j);
};

// Refuses an index without generation and hashes (written before format 2)
// with a message to run ingest again.
DatasetIndex load_index(const ObjectStore& store);

// The key of a file of a generation: raw/<generation>/<relative>.
std::string raw_key(const std::string& generation, const std::string& relative);

// The file's bytes, checked against the index: a size or SHA-256 that differs
// throws mw::Error naming the file's key (the store changed after ingest).
std::string read_verified(const ObjectStore& store, const StoredFile& file);

// ingest() into a store already open (ingest opens opt.store and calls this).
json ingest_into(ObjectStore& store, const IngestOptions& opt, const Reporter& rep = {});

// Decodes an encoded image to 8-bit RGB; throws mw::Error(source, why).
cv::Mat decode_rgb(const std::string& bytes, const std::string& source);

}  // namespace mw
