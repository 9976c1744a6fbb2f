// One folder with everything a program needs to label faces (maskwatch
// models export): a store of its own holding one classifier and one face
// detector, each as `latest`, so that FaceLabeller::open(dir) needs neither
// the training store nor the bundled weights:
//   models/<id>/model.json, inference.bin (weights.pt only for a model
//   without a plain export), models/latest;
//   detectors/<id>/weights.json, weights.bin, detector.json, detectors/latest
//   (the bundled FaceBoxes published as a detector when none is fine-tuned).
#pragma once
#include <string>

#include "maskwatch.h"
#include "store/object_store.h"

namespace mw {

// Writes the folder `dir` (created; refused if it holds anything) from the
// store's classifier `model` and detector `detector` (open_detector's ids);
// returns {"dir", "classifier", "detector", "bytes"}.
json export_models(const ObjectStore& store, const std::string& model, const std::string& detector,
                   const std::string& dir);

}  // namespace mw
