// maskwatch scan: every photo under a folder or s3://bucket/prefix labelled
// once into the photo table. The models are loaded once; photos run on
// `workers` threads; a photo already recorded at the same version is skipped,
// so a scan that was stopped continues where it was.
#pragma once
#include <string>

#include "jobs/label_object.h"
#include "maskwatch.h"
#include "results/photo_table.h"

namespace mw {

struct ScanOptions {
  std::string source;  // a folder, file:///path or s3://bucket/prefix
  std::string jsonl;   // also append each new record to this file as a JSON line ("" none)
  int workers = 0;     // photos at once; 0: one per core
  PhotoLimits limits;
  DetectOptions detect;
};

struct ScanSummary {
  long objects = 0;      // listed under the source
  long not_photos = 0;   // listed, without a photo's extension (left alone)
  long recorded = 0;     // already in the table at this version: skipped
  long labelled = 0;     // new records with faces
  long failed = 0;       // new records of photos that could not be labelled
  long unreached = 0;    // the store did not answer for them: run the scan again
  double seconds = 0;
  double photos_per_second() const { return seconds > 0 ? (labelled + failed) / seconds : 0; }
};

ScanSummary scan(const FaceLabeller& labeller, PhotoTable& table, const ScanOptions& options,
                 const Reporter& reporter = {});
json to_json(const ScanSummary& s);

}  // namespace mw
