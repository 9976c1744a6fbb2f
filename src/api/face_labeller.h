// What a FaceLabeller (<maskwatch/maskwatch.h>) holds: the classifier and
// the face detector, loaded once; and how the front ends build one from
// parts they name themselves (the CLI's detector options, no detector where
// none is needed).
#pragma once
#include <optional>
#include <string>
#include <utility>

#include "detect/detector.h"
#include "maskwatch.h"

namespace mw {

struct FaceLabeller::Impl {
  Classifier classifier;
  std::optional<FaceDetector> detector;  // none: detect() is an error; classify() runs
  std::string detector_id;
};

// What to load, as the front ends name it: the classifier and the detector
// (open_detector's ids) from one store; engine and
// precision "" read $MASKWATCH_ENGINE and $MASKWATCH_PRECISION (the CLI's
// defaults: infer/engine.h set_engine_defaults; FaceLabeller::open passes its options').
struct LabellerParts {
  LabellerParts(std::string store_uri, std::string model_id, int thread_count)
      : store(std::move(store_uri)), model(std::move(model_id)), threads(thread_count) {}
  std::string store;  // the classifier's and the detector's
  std::string model = "latest";
  int threads = 0;
  std::string engine, precision;
  bool with_detector = true;
  std::string detector = "latest";
  DetectorOptions detector_options;
};
FaceLabeller open_labeller(const LabellerParts& parts);

// A view's pixels as packed RGB rows: the view's own memory when they are
// already, else `copy` filled and pointed to. Throws Error for a view that
// is empty, null, or whose stride is under its width.
const std::uint8_t* packed_rgb(const ImageView& image, std::vector<std::uint8_t>& copy);

}  // namespace mw
