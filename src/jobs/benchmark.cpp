// The benchmark job (the report's Lambda function): for each set size, a
// seeded random set of images; load the model, read, decode, crop, classify,
// score; one results-table record per set. With detect, the faces are the
// face detector's instead of the annotated boxes (detect-then-classify), and
// each record also carries mAP@0.5 and face recall.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <optional>
#include <thread>

#include "core/parallel.h"
#include "core/paths.h"
#include "core/rng.h"
#include "data/dataset.h"
#include "data/split.h"
#include "detect/box_math.h"
#include "detect/detection_metrics.h"
#include "detect/detector_artifact.h"
#include "detect/evaluate_detect.h"
#include "results/results_table.h"
#include "store/object_store.h"

namespace mw {

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

std::string run_id_now() {
  Rng rng(static_cast<std::uint64_t>(Clock::now().time_since_epoch().count()) ^ static_cast<std::uint64_t>(getpid()));
  static const char* hex = "0123456789abcdef";
  std::string id;
  for (int i = 0; i < 8; ++i) id.push_back(hex[rng.below(16)]);
  return id;
}

// The first n images of a seeded shuffle: the same set for the same seed and size.
std::vector<std::size_t> pick_images(std::size_t total, int n, std::uint64_t seed) {
  std::vector<std::size_t> order(total);
  for (std::size_t i = 0; i < total; ++i) order[i] = i;
  auto rng = Rng::derive(seed, static_cast<std::uint64_t>(n));
  for (std::size_t i = total; i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);
  order.resize(std::min<std::size_t>(total, static_cast<std::size_t>(n)));
  return order;
}

struct ImageWork {
  std::vector<std::uint8_t> crops;
  std::vector<Box> boxes;      // the faces classified: the annotated ones, or the detector's
  std::vector<FaceBox> found;  // with detect: the detector's faces (boxes and probabilities)
  bool rejected = false;
  std::string error;
};

// Detect-then-classify scoring of one set: each found face matched to an
// annotated one (IoU 0.5); accuracy over the matched faces; mAP@0.5 over all
// photos and over the held-out ones, each detection scored face probability
// x class probability (as evaluate --detect does); face recall over the
// annotated faces. The predictions are the photos' found faces in order.
void score_detections(const std::vector<const ImageRecord*>& photos, const std::vector<const ImageWork*>& work,
                      const std::vector<bool>& heldout, const std::vector<Face>& preds, BenchmarkRecord& r) {
  std::vector<ImageDetections> all, held;
  long faces = 0, matched = 0, correct = 0, heldout_matched = 0, heldout_correct = 0;
  std::size_t p = 0;
  for (std::size_t i = 0; i < photos.size(); ++i) {
    const auto& rec = *photos[i];
    ImageDetections im = class_detections(rec.boxes, rec.labels, work[i]->found, preds.data() + p);
    const auto match = match_detections(rec.boxes, work[i]->boxes, kVocIou);
    for (std::size_t d = 0; d < match.size(); ++d, ++p) {
      if (match[d] < 0) continue;
      const bool ok = preds[p].label == rec.labels[match[d]];
      ++matched, correct += ok;
      if (heldout[i]) ++heldout_matched, heldout_correct += ok;
    }
    faces += static_cast<long>(rec.boxes.size());
    if (heldout[i]) held.push_back(im);
    all.push_back(std::move(im));
  }
  const double nan = std::nan("");
  r.accuracy = matched ? double(correct) / double(matched) : nan;
  r.heldout_objects = static_cast<int>(heldout_matched);
  r.heldout_accuracy = heldout_matched ? double(heldout_correct) / double(heldout_matched) : nan;
  r.map_50 = evaluate_detections(all).map_50.value_or(nan);
  r.heldout_map_50 = held.empty() ? nan : evaluate_detections(held).map_50.value_or(nan);
  r.face_recall = faces ? double(matched) / double(faces) : nan;
}

// The annotated faces' scoring: accuracy over all and over the held-out ones.
void score_boxes(const std::vector<const ImageRecord*>& photos, const std::vector<bool>& heldout,
                 const std::vector<Face>& preds, BenchmarkRecord& r) {
  int correct = 0, heldout_correct = 0;
  std::size_t p = 0;
  for (std::size_t i = 0; i < photos.size(); ++i)
    for (int label : photos[i]->labels) {
      const bool ok = preds[p++].label == label;
      correct += ok;
      if (heldout[i]) ++r.heldout_objects, heldout_correct += ok;
    }
  r.accuracy = preds.empty() ? std::nan("") : double(correct) / double(preds.size());
  r.heldout_accuracy =
      r.heldout_objects ? double(heldout_correct) / r.heldout_objects : std::nan("");  // none: unknown, not 0
}

// The set's line of progress.
std::string set_line(const BenchmarkRecord& r) {
  char line[320];
  int used = std::snprintf(line, sizeof line,
                           "set %4d: %4d images, %5d faces in %6.2f s (%6.0f faces/s), accuracy %.3f, held-out %.3f "
                           "(%d faces)",
                           r.set_size, r.images, r.objects, r.seconds, r.throughput, r.accuracy, r.heldout_accuracy,
                           r.heldout_objects);
  if (r.mode == "detect" && used > 0 && used < static_cast<int>(sizeof line))
    std::snprintf(line + used, sizeof line - used, ", mAP@0.5 %.3f (held-out %.3f), face recall %.3f", r.map_50,
                  r.heldout_map_50, r.face_recall);
  return line;
}

}  // namespace

std::string default_results_uri(const std::string& store) {
  if (auto dir = local_store_dir(store)) return "sqlite://" + *dir + "/results.db";
  return "sqlite://maskwatch-results.db";
}

json benchmark(const BenchmarkOptions& opt, const Reporter& rep) {
  if (opt.sizes.empty()) throw Error("benchmark --sizes", "give at least one set size");
  for (int n : opt.sizes)
    if (n <= 0) throw Error("benchmark --sizes", "set sizes must be positive, got " + std::to_string(n));
  const int threads =
      opt.threads > 0 ? opt.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  // --no-record measures only: no table is opened (or created).
  std::unique_ptr<ResultsTable> table;
  if (opt.record) table = open_results(opt.results.empty() ? default_results_uri(opt.store) : opt.results);
  const std::string run_id = run_id_now(), started_at = utc_now_iso(), host = host_name();

  json out = {{"run_id", run_id},
              {"started_at", started_at},
              {"results", table ? json(table->uri()) : json(nullptr)},
              {"sets", json::array()}};
  for (int n : opt.sizes) {
    const auto t0 = Clock::now();
    json timing;
    // Everything a cold function does: open the store, read the index and split, load the model(s).
    auto store = open_store(opt.store);
    auto index = load_index(*store);
    auto manifest = SplitManifest::from_json(json::parse(store->get(kManifestKey)));
    const std::string model_store = opt.model_store.empty() ? opt.store : opt.model_store;
    Classifier clf(model_store, opt.model, threads);
    std::optional<FaceDetector> detector;
    std::string detector_id;
    if (opt.detect) detector.emplace(open_detector(*open_store(model_store), opt.detector, {}, detector_id));
    timing["load_s"] = since(t0);

    const auto picked = pick_images(index.images.size(), n, opt.seed);
    const auto t1 = Clock::now();
    std::vector<ImageWork> work(picked.size());
    parallel_for(static_cast<std::int64_t>(picked.size()), threads, [&](std::int64_t i) {
      const auto& rec = index.images[picked[i]];
      // Outside the try: a file that is not what the index says stops the job.
      const auto bytes = read_verified(*store, rec.image);
      try {
        auto rgb = decode_rgb(bytes, store->uri() + "/" + rec.image.key);
        auto& w = work[i];
        if (detector) {
          w.found = detector->detect(rgb.ptr<std::uint8_t>(), rgb.cols, rgb.rows);
          for (const auto& f : w.found) w.boxes.push_back(f.box);
        } else {
          w.boxes = rec.boxes;
        }
        if (!w.boxes.empty()) w.crops = clf.crop_faces(rgb.ptr<std::uint8_t>(), rgb.cols, rgb.rows, w.boxes);
      } catch (const std::exception& e) {  // counted and reported; the rest of the set goes on
        work[i].rejected = true;
        work[i].error = e.what();
      }
    });
    timing[detector ? "read_decode_detect_crop_s" : "read_decode_crop_s"] = since(t1);

    // One batch for the whole set: the engine shares it out over the threads.
    std::vector<std::uint8_t> crops;
    std::vector<Box> boxes;
    std::vector<const ImageRecord*> photos;
    std::vector<const ImageWork*> done;
    std::vector<bool> heldout;
    BenchmarkRecord r;
    json rejects = json::array();
    for (std::size_t i = 0; i < picked.size(); ++i) {
      const auto& rec = index.images[picked[i]];
      if (work[i].rejected) {
        ++r.rejects;
        rejects.push_back({{"image", rec.image.key}, {"error", work[i].error}});
        continue;
      }
      crops.insert(crops.end(), work[i].crops.begin(), work[i].crops.end());
      boxes.insert(boxes.end(), work[i].boxes.begin(), work[i].boxes.end());
      photos.push_back(&rec);
      done.push_back(&work[i]);
      heldout.push_back(manifest.split_of(rec.stem) == 2);
    }
    const auto t2 = Clock::now();
    auto preds = boxes.empty() ? std::vector<Face>{} : clf.classify_crops(crops, boxes);
    timing["inference_s"] = since(t2);

    if (detector)
      score_detections(photos, done, heldout, preds, r);
    else
      score_boxes(photos, heldout, preds, r);
    r.seconds = since(t0);
    r.run_id = run_id;
    r.started_at = started_at;
    r.set_size = n;
    r.images = static_cast<int>(photos.size());
    r.objects = static_cast<int>(preds.size());
    r.throughput = r.seconds > 0 ? r.objects / r.seconds : 0;
    r.model_id = clf.metadata().value("id", opt.model);
    r.threads = threads;
    r.host = host;
    if (detector) r.mode = "detect", r.detector_id = detector_id;
    if (table) table->put(r);

    json set = to_json(r);
    set["engine"] = clf.engine();
    set["rejected"] = rejects;
    set["timing"] = timing;
    out["sets"].push_back(set);
    rep.say(set_line(r));
  }
  if (opt.record) {
    std::string stamp = started_at;
    stamp.erase(std::remove(stamp.begin(), stamp.end(), ':'), stamp.end());
    const std::string key = "reports/benchmark-" + stamp + "-" + run_id + ".json";
    open_store(opt.store)->put(key, out.dump(2));
    out["report"] = key;
  }
  return out;
}

}  // namespace mw
