#include "detect/train_detector.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <numeric>
#include <opencv2/imgproc.hpp>
#include <sstream>

#include "core/hash.h"
#include "core/paths.h"
#include "data/dataset.h"
#include "data/split.h"
#include "detect/box_math.h"
#include "detect/close_views.h"
#include "detect/detection_metrics.h"
#include "detect/detector_artifact.h"
#include "detect/evaluate_detect.h"
#include "detect/trainable_detector.h"
#include "store/object_store.h"
#include "train/checkpoint.h"
#include "train/lr_schedule.h"
#include "train/options.h"

namespace mw {

namespace {

constexpr const char* kWhere = "train-detector";
constexpr int kCropTries = 10;      // crops drawn until one holds a face's centre
constexpr float kMinBoxPixels = 1;  // a box narrower or lower is not a target
constexpr double kFlipChance = 0.5;
constexpr double kMaxPixel = 255;

// ---- one training canvas ------------------------------------------------------

// The boxes (already scaled) whose centre lies inside the crop at (x0, y0),
// clipped to the crop and to the photo, in the crop's pixels.
std::vector<Box> boxes_in_crop(const std::vector<Box>& boxes, int x0, int y0, int crop, int w, int h) {
  std::vector<Box> out;
  const float x1 = static_cast<float>(std::min(x0 + crop, w)), y1 = static_cast<float>(std::min(y0 + crop, h));
  const float fx0 = static_cast<float>(x0), fy0 = static_cast<float>(y0);
  for (const auto& b : boxes) {
    const float cx = (b.xmin + b.xmax) / 2, cy = (b.ymin + b.ymax) / 2;
    if (cx < fx0 || cx >= x1 || cy < fy0 || cy >= y1) continue;
    const Box c{std::max(b.xmin, fx0) - fx0, std::max(b.ymin, fy0) - fy0, std::min(b.xmax, x1) - fx0,
                std::min(b.ymax, y1) - fy0};
    if (c.width() >= kMinBoxPixels && c.height() >= kMinBoxPixels) out.push_back(c);
  }
  return out;
}

void flip_canvas(TrainingCanvas& c, int side) {
  for (int y = 0; y < side; ++y) {
    std::uint8_t* row = c.rgb.data() + static_cast<std::size_t>(y) * side * 3;
    for (int x = 0; x < side / 2; ++x)
      for (int k = 0; k < 3; ++k) std::swap(row[3 * x + k], row[3 * (side - 1 - x) + k]);
  }
  const float s = static_cast<float>(side);
  for (auto& b : c.boxes) b = {s - b.xmax, b.ymin, s - b.xmin, b.ymax};
}

}  // namespace

namespace {

// A photo's canvas: scaled, cropped, flipped and jittered as CanvasAugment says.
TrainingCanvas canvas_of(const cv::Mat& rgb, const std::vector<Box>& boxes, const CanvasAugment& aug, Rng& rng) {
  const double longer = std::max(rgb.cols, rgb.rows);
  const double scale = aug.canvas * rng.uniform(aug.min_scale, aug.max_scale) / longer;
  const int w = std::max(1, static_cast<int>(std::lround(rgb.cols * scale)));
  const int h = std::max(1, static_cast<int>(std::lround(rgb.rows * scale)));
  cv::Mat resized;
  cv::resize(rgb, resized, cv::Size(w, h), 0, 0, scale < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
  std::vector<Box> scaled;
  const float sx = static_cast<float>(w) / rgb.cols, sy = static_cast<float>(h) / rgb.rows;
  for (const auto& b : boxes) scaled.push_back({b.xmin * sx, b.ymin * sy, b.xmax * sx, b.ymax * sy});

  int x0 = 0, y0 = 0;
  TrainingCanvas out;
  for (int t = 0; t < kCropTries; ++t) {
    x0 = static_cast<int>(rng.below(static_cast<std::uint64_t>(std::max(0, w - aug.crop)) + 1));
    y0 = static_cast<int>(rng.below(static_cast<std::uint64_t>(std::max(0, h - aug.crop)) + 1));
    out.boxes = boxes_in_crop(scaled, x0, y0, aug.crop, w, h);
    if (!out.boxes.empty()) break;
  }
  const bool flip = aug.flip && rng.uniform() < kFlipChance;
  const double alpha = 1 + rng.uniform(-aug.contrast, aug.contrast);
  const double beta = rng.uniform(-aug.brightness, aug.brightness);

  out.rgb.assign(static_cast<std::size_t>(aug.crop) * aug.crop * 3, 0);
  cv::Mat canvas(aug.crop, aug.crop, CV_8UC3, out.rgb.data());
  const cv::Rect from(x0, y0, std::min(aug.crop, w - x0), std::min(aug.crop, h - y0));
  // The photo's pixels only: the zeros past it stay zeros, as on the inference canvas.
  resized(from).convertTo(canvas(cv::Rect(0, 0, from.width, from.height)), CV_8UC3, alpha,
                          beta + (kMaxPixel / 2) * (1 - alpha));
  if (flip) flip_canvas(out, aug.crop);
  return out;
}

}  // namespace

TrainingCanvas make_training_canvas(const cv::Mat& rgb, const std::vector<Box>& boxes, const CanvasAugment& aug,
                                    Rng& rng) {
  std::vector<const Box*> large;
  for (const auto& b : boxes)
    if (std::max(b.width(), b.height()) >= kZoomMinFace) large.push_back(&b);
  if (large.empty() || rng.uniform() >= aug.zoom_chance) return canvas_of(rgb, boxes, aug, rng);
  const Box& face = *large[rng.below(large.size())];
  const CloseView view = close_view(rgb, face, boxes, float(rng.uniform(kZoomMinShare, kZoomMaxShare)), 0, rng);
  return canvas_of(view.rgb, view.faces, aug, rng);
}

AnchorTargets faceboxes_targets(const std::vector<FaceBoxesAnchor>& anchors, const std::vector<Box>& boxes, int side) {
  const float s = static_cast<float>(side);
  std::vector<Box> truths, anchor_boxes;
  for (const auto& b : boxes)
    if (b.width() >= kMinBoxPixels && b.height() >= kMinBoxPixels)
      truths.push_back({b.xmin / s, b.ymin / s, b.xmax / s, b.ymax / s});
  anchor_boxes.reserve(anchors.size());
  for (const auto& a : anchors) anchor_boxes.push_back(to_corners({a.cx, a.cy, a.w, a.h}));
  const auto match = match_anchors(truths, anchor_boxes, {kMatchIou, kMatchIou});
  AnchorTargets t;
  t.labels.resize(anchors.size(), 0);
  t.codes.resize(anchors.size() * 4, 0.f);
  for (std::size_t i = 0; i < anchors.size(); ++i) {
    if (match[i] == kIgnoredAnchor) t.labels[i] = -1;
    if (match[i] < 0) continue;
    t.labels[i] = 1;
    const auto& a = anchors[i];
    const BoxOffsets d = encode_box(truths[static_cast<std::size_t>(match[i])], {a.cx, a.cy, a.w, a.h});
    const float code[4] = {d.dy, d.dx, d.dh, d.dw};  // the graph's order: ty, tx, th, tw
    std::copy(code, code + 4, t.codes.begin() + static_cast<std::ptrdiff_t>(4 * i));
  }
  return t;
}

namespace {

using Clock = std::chrono::steady_clock;

// ---- data -----------------------------------------------------------------------

struct Photo {
  cv::Mat rgb;
  std::vector<Box> boxes;
};

std::vector<Photo> load_photos(const ObjectStore& store, const DatasetIndex& index, const SplitManifest& manifest,
                               int split, int limit, const Reporter& rep) {
  std::vector<Photo> out;
  const long total = static_cast<long>(manifest.stems[split].size());
  for (const auto& rec : index.images) {
    if (manifest.split_of(rec.stem) != split) continue;
    if (limit > 0 && static_cast<int>(out.size()) >= limit) break;
    out.push_back({decode_rgb(read_verified(store, rec.image), rec.image.key), rec.boxes});
    rep.tick(std::string("read ") + kSplitNames[split], static_cast<long>(out.size()), total);
  }
  if (out.empty()) throw Error(store.uri(), std::string("no photos in the ") + kSplitNames[split] + " split");
  return out;
}

struct DetectorData {
  std::vector<Photo> train, val;
  std::string manifest_hash;
};

DetectorData load_data(const ObjectStore& store, const DetectorTrainOptions& opt, const Reporter& rep) {
  if (!store.exists(kManifestKey))
    throw Error(store.uri() + "/" + kManifestKey, "no split: run 'maskwatch prepare' first");
  const auto index = load_index(store);
  const auto manifest = SplitManifest::from_json(json::parse(store.get(kManifestKey)));
  return {load_photos(store, index, manifest, split_index("train"), opt.limit, rep),
          load_photos(store, index, manifest, split_index("val"), opt.val_limit, rep), manifest.hash()};
}

// ---- one batch ----------------------------------------------------------------------

std::vector<TrainingCanvas> make_canvases(const DetectorTrainOptions& opt, const std::vector<Photo>& photos,
                                          const std::vector<std::size_t>& order, std::size_t first, std::size_t count,
                                          int epoch) {
  CanvasAugment aug{opt.crop, opt.canvas, opt.min_scale, opt.max_scale};
  aug.zoom_chance = opt.zoom_chance;
  std::vector<TrainingCanvas> out;
  for (std::size_t i = 0; i < count; ++i) {
    Rng rng = Rng::derive(opt.seed, static_cast<std::uint64_t>(epoch), first + i);
    const Photo& p = photos[order[first + i]];
    out.push_back(make_training_canvas(p.rgb, p.boxes, aug, rng));
  }
  return out;
}

// ---- validation -----------------------------------------------------------------------

struct Validation {
  double face_ap = 0;
  json figures;
};

// The plain engine runs each convolution on its calling thread alone (it sets
// that thread's OpenMP team to one): LibTorch's threads are set back after it,
// so that every epoch trains on the same threads, resumed or not.
Validation validate(const TrainableDetector& net, const std::vector<Photo>& val, int canvas, int threads,
                    const Reporter& rep) {
  DetectorOptions o;
  o.canvas = canvas, o.min_score = kEvalMinScore, o.precision = "fp32";
  const FaceDetector detector(net.export_weights(), o);
  std::vector<ImageDetections> images;
  for (const auto& p : val) {
    images.push_back(face_detections(p.boxes, detector.detect(p.rgb.ptr<std::uint8_t>(), p.rgb.cols, p.rgb.rows)));
    rep.tick("validate", static_cast<long>(images.size()), static_cast<long>(val.size()));
  }
  set_threads(threads);
  const DetectionEval e = evaluate_detections(images, {{"face"}, DetectorOptions{}.min_score});
  return {e.map_50.value_or(0), to_json(e)};
}

// ---- the run's state and checkpoint ---------------------------------------------------------

struct RunState {
  int epoch = 0;  // finished epochs
  double best_ap = -1;
  int best_epoch = 0;
  json history = json::array();
  json fingerprint;
  json best_figures;

  json to_json() const {
    return {{"epoch", epoch},     {"best_ap", best_ap},         {"best_epoch", best_epoch},
            {"history", history}, {"fingerprint", fingerprint}, {"best_figures", best_figures}};
  }
  static RunState from_json(const json& j) {
    return {j.at("epoch"),   j.at("best_ap"),     j.at("best_epoch"),
            j.at("history"), j.at("fingerprint"), j.at("best_figures")};
  }
};

void save_state(ObjectStore& store, const std::string& key, torch::nn::Module& net, torch::optim::Optimizer& opt,
                const RunState& st) {
  torch::serialize::OutputArchive ar, model_ar, opt_ar;
  net.save(model_ar);
  opt.save(opt_ar);
  ar.write("model", model_ar);
  ar.write("optimizer", opt_ar);
  ar.write("state", c10::IValue(st.to_json().dump()));
  std::ostringstream os;
  ar.save_to(os);
  store.put(key, seal_checkpoint(os.str()));
}

// Loads the checkpoint; `check` sees the saved state first and throws to refuse it.
RunState load_state(const ObjectStore& store, const std::string& key, torch::nn::Module& net,
                    torch::optim::Optimizer& opt, const std::function<void(const RunState&)>& check) {
  const std::string where = store.uri() + "/" + key;
  if (!store.exists(key)) throw Error(where, "no checkpoint to resume from");
  const std::string bytes = store.get(key);
  try {
    std::istringstream is{std::string(unseal_checkpoint(bytes, where))};
    torch::serialize::InputArchive ar, model_ar, opt_ar;
    ar.load_from(is);
    c10::IValue v;
    ar.read("state", v);
    RunState st = RunState::from_json(json::parse(v.toStringRef()));
    check(st);
    ar.read("model", model_ar);
    ar.read("optimizer", opt_ar);
    net.load(model_ar);
    opt.load(opt_ar);
    return st;
  } catch (const c10::Error& e) {
    throw Error(where, std::string("checkpoint does not load: ") + e.what_without_backtrace());
  } catch (const json::exception& e) {
    throw Error(where, std::string("checkpoint state is corrupt: ") + e.what());
  }
}

// ---- the run ----------------------------------------------------------------------------------

void check_options(const DetectorTrainOptions& o) {
  auto bad = [](const std::string& flag, const std::string& why) {
    throw Error(std::string(kWhere) + " " + flag, why);
  };
  if (o.epochs < 1) bad("--epochs", "must be at least 1");
  if (o.batch < 1) bad("--batch", "must be at least 1");
  if (o.lr <= 0) bad("--lr", "must be positive");
  if (o.optimizer != "adam" && o.optimizer != "sgd") bad("--optimizer", "must be adam or sgd");
  if (o.lr_schedule != "constant" && o.lr_schedule != "cosine") bad("--lr-schedule", "must be constant or cosine");
  const int stride = detector_stride(o.arch);
  if (o.crop <= 0 || o.crop % stride != 0) bad("--crop", "must be a positive multiple of " + std::to_string(stride));
  if (o.canvas <= 0 || o.canvas % stride != 0)
    bad("--canvas", "must be a positive multiple of " + std::to_string(stride));
  if (!(o.zoom_chance >= 0 && o.zoom_chance <= 1)) bad("--zoom-chance", "must be within 0..1");
  if (!(o.min_scale > 0 && o.min_scale <= o.max_scale)) bad("--min-scale", "must be positive and <= --max-scale");
  if (o.weight_decay < 0) bad("--weight-decay", "must not be negative");
  if (o.clip_norm < 0) bad("--clip-norm", "must not be negative (0: off)");
  if (!(o.head_lr_scale > 0)) bad("--head-lr-scale", "must be positive");
  if (o.head_lr_scale != 1 && o.arch != kCenterNetArch) bad("--head-lr-scale", "applies to --arch centernet only");
  if (o.warmup_epochs < 0 || o.warmup_epochs >= o.epochs) bad("--warmup-epochs", "must be within 0..--epochs - 1");
}

// The network and its optimiser: group 0 the body at the rate, group 1 (if
// any) the head at the rate x --head-lr-scale.
struct Learner {
  std::unique_ptr<TrainableDetector> net;
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  std::vector<double> group_scales;
};

std::vector<torch::optim::OptimizerParamGroup> parameter_groups(TrainableDetector& net, std::vector<double>& scales,
                                                                double head_scale) {
  const auto head = net.head_parameters();
  std::vector<torch::Tensor> body;
  for (const auto& p : net.module().parameters())
    if (std::none_of(head.begin(), head.end(), [&](const torch::Tensor& h) { return h.is_same(p); })) body.push_back(p);
  std::vector<torch::optim::OptimizerParamGroup> groups{torch::optim::OptimizerParamGroup(body)};
  scales = {1};
  if (!head.empty()) groups.emplace_back(head), scales.push_back(head_scale);
  return groups;
}

Learner make_learner(const DetectorTrainOptions& opt) {
  Learner l;
  l.net = pretrained_detector(opt.arch, opt.weights_dir, opt.seed);
  const auto groups = parameter_groups(*l.net, l.group_scales, opt.head_lr_scale);
  if (opt.optimizer == "adam")
    l.optimizer = std::make_unique<torch::optim::AdamW>(
        groups, torch::optim::AdamWOptions(opt.lr).weight_decay(opt.weight_decay));
  else
    l.optimizer = std::make_unique<torch::optim::SGD>(
        groups, torch::optim::SGDOptions(opt.lr).momentum(opt.momentum).weight_decay(opt.weight_decay));
  return l;
}

json fingerprint_of(const DetectorTrainOptions& o, int threads, const DetectorData& d, const Learner& l) {
  return {{"arch", o.arch},
          {"epochs", o.epochs},
          {"batch", o.batch},
          {"optimizer", o.optimizer},
          {"lr", o.lr},
          {"lr_schedule", o.lr_schedule},
          {"warmup_epochs", o.warmup_epochs},
          {"momentum", o.momentum},
          {"weight_decay", o.weight_decay},
          {"clip_norm", o.clip_norm},
          {"head_lr_scale", o.head_lr_scale},
          {"crop", o.crop},
          {"canvas", o.canvas},
          {"min_scale", o.min_scale},
          {"max_scale", o.max_scale},
          {"zoom_chance", o.zoom_chance},
          {"seed", o.seed},
          {"threads", threads},
          {"train_photos", d.train.size()},
          {"val_photos", d.val.size()},
          {"manifest_hash", d.manifest_hash},
          {"base_weights_sha256", l.net->base_sha256()}};
}

class DetectorRun {
 public:
  DetectorRun(ObjectStore& store, const DetectorTrainOptions& opt, std::string run, int threads, const Reporter& rep)
      : store_(store), opt_(opt), run_(std::move(run)), threads_(threads), rep_(rep) {}
  RunState st;

  void resume(Learner& l) {
    const std::string where = store_.uri() + "/" + run_key(run_, "checkpoint.pt");
    const json now = st.fingerprint;
    st = load_state(store_, run_key(run_, "checkpoint.pt"), l.net->module(), *l.optimizer, [&](const RunState& saved) {
      for (auto& [k, v] : now.items())
        if (saved.fingerprint.value(k, json()) != v)
          throw Error(where, "cannot resume: '" + k + "' was " + saved.fingerprint.value(k, json()).dump() + ", now " +
                                 v.dump());
    });
    rep_.say("resuming detector run " + run_ + " after epoch " + std::to_string(st.epoch) + " of " +
             std::to_string(opt_.epochs));
  }

  // Validates, keeps the best epoch's tensors, checkpoints, says the epoch's line.
  void end_epoch(int epoch, double loss, Clock::time_point start, Learner& l, const std::vector<Photo>& val) {
    const Validation v = validate(*l.net, val, opt_.canvas, threads_, rep_);
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    st.epoch = epoch;
    st.history.push_back({{"epoch", epoch}, {"loss", loss}, {"val_face_ap_50", v.face_ap}, {"seconds", seconds}});
    if (v.face_ap > st.best_ap) {
      st.best_ap = v.face_ap, st.best_epoch = epoch, st.best_figures = v.figures;
      const TfjsFiles best = encode_tfjs_weights(l.net->export_weights(), "best.bin");
      store_.put(run_key(run_, "best.bin"), best.data);
      store_.put(run_key(run_, "best.json"), best.manifest);
    }
    save_state(store_, run_key(run_, "checkpoint.pt"), l.net->module(), *l.optimizer, st);
    if (!latest_) store_.put(kLatestDetectorRunKey, run_ + "\n"), latest_ = true;
    std::ostringstream line;
    line.precision(4);
    line << "epoch " << epoch << "/" << opt_.epochs << ": loss " << loss << ", val face AP@0.5 " << v.face_ap << " ("
         << static_cast<int>(seconds) << " s)" << (st.best_epoch == epoch ? " best" : "");
    rep_.say(line.str());
  }

  json publish(const Learner& l) {
    const std::string manifest = store_.get(run_key(run_, "best.json")), data = store_.get(run_key(run_, "best.bin"));
    json meta = {{"arch", opt_.arch},
                 {"run", run_},
                 {"base_weights_sha256", l.net->base_sha256()},
                 {"epochs", st.epoch},
                 {"best_epoch", st.best_epoch},
                 {"val", {{"face_ap_50", st.best_ap}, {"canvas", opt_.canvas}, {"faces", st.best_figures}}},
                 {"history", st.history},
                 {"settings", st.fingerprint}};
    return publish_detector(store_, decode_tfjs_weights(manifest, data, store_.uri() + "/runs/" + run_ + "/best.json"),
                            meta);
  }

 private:
  ObjectStore& store_;
  const DetectorTrainOptions& opt_;
  std::string run_;
  int threads_;
  const Reporter& rep_;
  bool latest_ = false;
};

// The rate of step `step` of `total`: --lr throughout, or the classifier's
// schedule (warm-up over --warmup-epochs, then cosine to 0).
double learning_rate_at(const DetectorTrainOptions& opt, long step, long steps_per_epoch) {
  if (opt.lr_schedule == "constant") return opt.lr;
  return warmup_cosine_lr(opt.lr, step, opt.warmup_epochs * steps_per_epoch, opt.epochs * steps_per_epoch);
}

void set_learning_rate(Learner& l, double lr) {
  auto& groups = l.optimizer->param_groups();
  for (std::size_t g = 0; g < groups.size(); ++g) groups[g].options().set_lr(lr * l.group_scales.at(g));
}

// The steps of one epoch; returns the mean loss. `batches_run` counts this process's steps.
double run_epoch(const DetectorTrainOptions& opt, int epoch, Learner& l, const std::vector<Photo>& photos,
                 long& batches_run, const Reporter& rep) {
  std::vector<std::size_t> order(photos.size());
  std::iota(order.begin(), order.end(), 0);
  Rng shuffle = Rng::derive(opt.seed, static_cast<std::uint64_t>(epoch));
  shuffle.shuffle(order.begin(), order.end());
  const std::size_t batch = static_cast<std::size_t>(opt.batch);
  const long steps = static_cast<long>((order.size() + batch - 1) / batch);
  double sum = 0, norm_sum = 0;
  long clipped = 0;
  for (long s = 0; s < steps; ++s) {
    const std::size_t first = static_cast<std::size_t>(s) * batch;
    const auto canvases = make_canvases(opt, photos, order, first, std::min(batch, order.size() - first), epoch);
    set_learning_rate(l, learning_rate_at(opt, (epoch - 1) * steps + s, steps));
    l.optimizer->zero_grad();
    const torch::Tensor loss = l.net->loss(canvases, opt.crop);
    loss.backward();
    if (opt.clip_norm > 0) {
      const double norm = torch::nn::utils::clip_grad_norm_(l.net->module().parameters(), opt.clip_norm);
      norm_sum += norm, clipped += norm > opt.clip_norm;
    }
    l.optimizer->step();
    sum += loss.item<double>();
    rep.tick("epoch " + std::to_string(epoch) + "/" + std::to_string(opt.epochs), s + 1, steps);
    if (opt.stop_after_batches >= 0 && ++batches_run >= opt.stop_after_batches)
      throw Error(kWhere, "stopped after " + std::to_string(batches_run) + " batches (--stop-after-batches)");
  }
  if (opt.clip_norm > 0)
    rep.say("epoch " + std::to_string(epoch) + ": gradients clipped in " + std::to_string(clipped) + " of " +
            std::to_string(steps) + " steps (mean norm " + std::to_string(norm_sum / static_cast<double>(steps)) + ")");
  return sum / static_cast<double>(steps);
}

}  // namespace

json train_detector(const DetectorTrainOptions& given, const Reporter& rep) {
  DetectorTrainOptions opt = given;
  if (opt.canvas == 0) opt.canvas = opt.arch == kCenterNetArch ? kCenterNetCanvas : kFaceBoxesCanvas;
  check_options(opt);
  const int threads = set_threads(opt.threads);
  auto store = open_store(opt.store);
  const DetectorData data = load_data(*store, opt, rep);
  const std::string run = choose_run(*store, opt.run, opt.resume, opt.seed, kLatestDetectorRunKey, "detector-");
  torch::manual_seed(static_cast<std::uint64_t>(opt.seed));
  Learner l = make_learner(opt);
  DetectorRun book(*store, opt, run, threads, rep);
  book.st.fingerprint = fingerprint_of(opt, threads, data, l);
  if (opt.resume) {
    book.resume(l);
  } else {
    store->put(run_key(run, kOptionsFile), book.st.fingerprint.dump(2) + "\n");
    rep.say("detector run " + run + ": " + std::to_string(data.train.size()) + " train / " +
            std::to_string(data.val.size()) + " val photos, crops of " + std::to_string(opt.crop) + " px, " +
            std::to_string(threads) + " threads");
  }
  long batches_run = 0;
  for (int epoch = book.st.epoch + 1; epoch <= opt.epochs; ++epoch) {
    const auto start = Clock::now();
    l.net->module().train();
    const double loss = run_epoch(opt, epoch, l, data.train, batches_run, rep);
    book.end_epoch(epoch, loss, start, l, data.val);
  }
  return book.publish(l);
}

}  // namespace mw
