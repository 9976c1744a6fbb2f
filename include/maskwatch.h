// maskwatch's pipeline: each step one call,
//   ingest -> prepare -> train -> evaluate, then classify with a Classifier;
// the detector's training, the benchmark and the whole pipeline.
// Every step reads and writes an object store named by a URI (a folder by
// default), so the same calls run on one machine or against remote storage.
// Labelling the faces of an image is <maskwatch/maskwatch.h> (FaceLabeller),
// which this header includes.
#pragma once

#include <maskwatch/maskwatch.h>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace mw {

using json = nlohmann::json;

// ---- classes --------------------------------------------------------------
inline constexpr int kNumClasses = 3;
// with_mask, without_mask, mask_weared_incorrect (the dataset's own names).
const std::array<std::string, kNumClasses>& class_names();
// Index of a class name, or -1 when the name is not a known class.
int class_index(const std::string& name);

// ---- progress and logging -------------------------------------------------
// Long steps report through this; the CLI draws a bar on a terminal.
struct Reporter {
  std::function<void(const std::string& line)> log;  // a line of text
  std::function<void(const std::string& what, long done, long total)> progress;
  void say(const std::string& line) const {
    if (log) log(line);
  }
  void tick(const std::string& what, long done, long total) const {
    if (progress) progress(what, done, total);
  }
};

// ---- ingest ---------------------------------------------------------------
struct IngestOptions {
  std::string data_dir;                  // Pascal VOC: images/ + annotations/
  std::string store = "maskwatch-data";  // object store URI
  bool strict = false;                   // fail on the first bad record
};
// Validates every annotation and image, copies the good ones into the store,
// writes dataset/index.json and reports/ingest.json; returns the report.
json ingest(const IngestOptions& opt, const Reporter& rep = {});

// ---- prepare --------------------------------------------------------------
struct PrepareOptions {
  std::string store = "maskwatch-data";
  double train_fraction = 0.6, val_fraction = 0.2;  // the rest is test
  std::uint64_t seed = 0;
  int crop_size = 64;    // pixels stored per crop side
  double margin = 0.15;  // extra context on every side, as a fraction of the box
};
// Splits by image (stratified, seeded) into dataset/manifest.json, crops every
// box and writes shards/{train,val,test}.bin; returns a summary.
json prepare(const PrepareOptions& opt, const Reporter& rep = {});

// ---- train ----------------------------------------------------------------
// The architecture `train` and `pipeline` use when none is named: the most
// accurate one (face-api's face network, fine-tuned). resnet18 is the fast option.
inline constexpr const char* kDefaultArch = "face-resnet";

// TrainOptions{} holds resnet18's recipe; train_recipe(arch) gives each
// architecture's, and resolve_train_options() the default architecture's.
struct TrainOptions {
  std::string store = "maskwatch-data";
  std::string arch = "resnet18";  // resnet18 | resnet34 | face-resnet
  int input_size = 32;
  int epochs = 30;
  int batch = 64;
  std::string optimizer = "sgd";  // sgd | adamw
  double lr = 0.05;
  double momentum = 0.9;
  double weight_decay = 5e-4;
  int freeze = 0;                   // freeze the first N stages: stem, layer1..layer4
  std::string balance = "sampler";  // none | weights | sampler
  // Each example of class k counts (n_largest / n_k)^power: in the loss
  // (weights) or in the draw (sampler). < 0: 1 for sampler (every class
  // drawn equally often), 0.5 for weights.
  double balance_power = -1;
  double label_smoothing = 0.05;
  double mixup = 0;  // mixup's Beta(a, a) parameter: each batch blended with itself shuffled (0: off)
  // Chance that a drawn mask_weared_incorrect or with_mask example is replaced
  // by a composite face (data/composite.h): a without_mask face's upper rows
  // over a with_mask face's lower rows, the seam below or above the nose (0: off).
  // 0.2 in every recipe: validation macro-F1 higher for ResNet-18 and face-resnet (README).
  double synthesize = 0.2;
  // Distillation: a published model of this store (trained on the same split,
  // validation held out) whose softened outputs the network also learns from.
  std::string teacher;       // model id ("latest" or a prefix); empty: off
  double distill = 0.7;      // weight of the teacher's term; 1 - distill on the labels
  double temperature = 2.0;  // softmax temperature of both sides of that term
  double ema = 0;            // decay of an exponential moving average of the
                             // weights, validated and published (0: off)
  bool augment = true;
  double augment_strength = 1.0;  // scales every augmentation range (0: none)
  // Framing (data/framing.h): each training face is framed as the box plus a
  // margin drawn from [framing_min, framing_max] of its side, the frame's
  // centre shifted by up to framing_shift of the side each way, cut from the
  // photo (the shard's fixed margin holds too little context). Off when
  // framing_max < 0.
  double framing_min = 0;
  double framing_max = -1;
  double framing_shift = 0;
  std::uint64_t seed = 0;
  int threads = 0;  // 0: all cores
  bool resume = false;
  std::string run;              // checkpoints live under runs/<run>/; empty: a new
                                // run id (with --resume: the latest run)
  std::string init;             // resnet18/34: start from this torchvision state_dict
                                // (torch.save file); fc is skipped when classes differ
  int warmup_epochs = 1;        // linear warm-up, then cosine decay per step
  double body_lr_scale = 1.0;   // learning rate of all but the head (fc), relative to --lr
  std::string holdout = "val";  // val: keep the epoch with the best validation macro-F1;
                                // none: train on train+val, keep the last epoch
  int limit = 0;                // use only the first N training crops (tests)
  int val_limit = 0;            // likewise for validation
  int stop_after_batches = -1;  // abort (as a crash would) after N batches; tests only
};
// TrainOptions <-> JSON, the keys the field names ("arch", "input_size", ...);
// from_json keeps TrainOptions{}'s value for a missing key. A new field goes
// into this list too.
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(TrainOptions, store, arch, input_size, epochs, batch, optimizer, lr,
                                                momentum, weight_decay, freeze, balance, balance_power, label_smoothing,
                                                mixup, synthesize, teacher, distill, temperature, ema, augment,
                                                augment_strength, framing_min, framing_max, framing_shift, seed,
                                                threads, resume, run, init, warmup_epochs, body_lr_scale, holdout,
                                                limit, val_limit, stop_after_batches)
// The tuned settings for an architecture (chosen on the validation split):
// input size, epochs, optimiser, learning rates, weight decay, frozen stages;
// the rest as in TrainOptions{}.
TrainOptions train_recipe(const std::string& arch);
// The options a run uses. `given` holds only the settings the caller named
// (keys as in to_json; an unknown key or a value of the wrong type is an
// error). Without "resume": the rest come from train_recipe(given arch, else
// kDefaultArch). With "resume": from the resumed run's own recorded
// settings (runs/<run>/options.json, `run` given or runs/latest), so that
// {"resume": true} alone continues the run as it was started; a run without
// recorded settings falls back to the recipe. `store` is always the argument;
// stop_after_batches is never carried over from the record.
TrainOptions resolve_train_options(const std::string& store, const json& given);
// Trains, checkpoints every epoch, keeps the best epoch by validation macro-F1
// and publishes it as a model artifact; returns its metadata (with "id").
// A new run records its options in runs/<run>/options.json when it starts and
// becomes runs/latest once its first checkpoint is saved.
json train(const TrainOptions& opt, const Reporter& rep = {});

// ---- evaluate -------------------------------------------------------------
struct EvaluateOptions {
  std::string store = "maskwatch-data";
  std::string model = "latest";  // artifact id or "latest"
  std::string split = "test";
  std::string predictions;  // when set: a CSV of every face's label, prediction and scores
  std::string risk_plot;    // when set: an SVG of the risk-coverage curve
  int threads = 0;
};
// Accuracy, per-class precision/recall/F1, macro-F1, confusion matrix; and
// "confidence": expected calibration error with temperature 1 and with the
// model's, and the risk-coverage points (accuracy of the most confident
// faces against the share of faces answered).
json evaluate(const EvaluateOptions& opt, const Reporter& rep = {});

// ---- classify -------------------------------------------------------------
// Scores are softmax(logits / T), T the model's temperature (model.json
// "confidence", fitted on the validation split when the model is published
// or by `maskwatch models calibrate`; 1 for a model without it), so that a
// confidence of 0.9 is right about 9 times in 10. A prediction is a Face
// (<maskwatch/maskwatch.h>): face_score 1 for a box the caller gave.
class Classifier {
 public:
  // Loads a model artifact ("latest" or an id) from the store once, on
  // `engine` (auto | plain | torch) in `precision` (auto | fp32 | bf16 |
  // int8); "" is the program's default (auto; the CLI's: $MASKWATCH_ENGINE,
  // $MASKWATCH_PRECISION).
  Classifier(const std::string& store, const std::string& model = "latest", int threads = 0,
             const std::string& engine = "", const std::string& precision = "");
  ~Classifier();
  Classifier(Classifier&&) noexcept;
  Classifier& operator=(Classifier&&) noexcept;

  const json& metadata() const;
  const std::vector<std::string>& labels() const;  // the model's classes, in score order
  // Faces in an encoded JPEG or PNG image (the two formats maskwatch decodes;
  // anything else throws mw::Error): one prediction per box. `source` names
  // the image in errors (a path, or "image").
  std::vector<Face> classify(const std::string& encoded_image, const std::vector<Box>& boxes,
                             const std::string& source = "image") const;
  // A JPEG or PNG that is one face crop (as in face-crop datasets).
  Face classify_face_crop(const std::string& encoded_image, const std::string& source = "image") const;
  // A decoded RGB image that is one face: the crop region (box plus the
  // model's margin) is the whole image; the prediction's box is the image.
  Face classify_whole_rgb(const std::uint8_t* rgb, int width, int height) const;
  // Faces in a decoded RGB image (HxWx3, row-major, 8-bit).
  std::vector<Face> classify_rgb(const std::uint8_t* rgb, int width, int height, const std::vector<Box>& boxes) const;
  // The two halves of classify_rgb, for callers that batch many images:
  // the model's input crops (input_size^2 x 3 bytes each), then predictions.
  std::vector<std::uint8_t> crop_faces(const std::uint8_t* rgb, int width, int height,
                                       const std::vector<Box>& boxes) const;
  std::vector<Face> classify_crops(const std::vector<std::uint8_t>& crops, const std::vector<Box>& boxes) const;
  // Predictions for n crops of side crop_side (resized to the model's input
  // when they differ), e.g. a prepared shard's crops; boxes are left empty.
  std::vector<Face> classify_crops(const std::uint8_t* crops, std::size_t n, int crop_side) const;
  // The network's outputs for the same crops before the softmax: labels().size() per crop.
  std::vector<float> logits(const std::uint8_t* crops, std::size_t n, int crop_side) const;
  double temperature() const;  // the model's softmax temperature (1 when it has none)
  std::string engine() const;  // "plain" or "torch"

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Boxes from a Pascal VOC annotation file (the labels are ignored).
std::vector<Box> read_voc_boxes(const std::string& xml_path);

// ---- train-detector -------------------------------------------------------
// Fine-tuning the face detector (FaceBoxes) on the training split's boxes;
// detect/train_detector.h has the recipe.
struct DetectorTrainOptions {
  std::string store = "maskwatch-data";
  std::string arch = "faceboxes";  // faceboxes | centernet (detect/trainable_detector.h)
  std::string weights_dir;         // the pretrained start: "" -> the bundled one
  int epochs = 8;                  // about 5 minutes on 2 cores
  int batch = 8;
  std::string optimizer = "adam";  // adam | sgd
  double lr = 2e-4;
  std::string lr_schedule = "cosine";  // cosine (to 0 over the epochs, per step) | constant
  int warmup_epochs = 0;               // cosine: a linear warm-up first, as train's (train/lr_schedule.h)
  double momentum = 0.9;               // sgd
  double weight_decay = 0;             // L2 on the filters
  double clip_norm = 0;                // the gradients' L2 norm clipped to this each step (0: off)
  double head_lr_scale = 1;            // centernet: its decoder and heads at lr x this
  int crop = 512;                      // training canvas side (a multiple of 128)
  int canvas = 0;                      // inference canvas: the scale rule and validation; 0: the arch's
                                       // (1024 faceboxes, 640 centernet)
  double min_scale = 0.6, max_scale = 1.6;
  double zoom_chance = 0;  // a zoomed-in view of one face instead of the photo (detect/train_detector.h)
  std::uint64_t seed = 0;
  int threads = 0;
  int limit = 0;      // the first N training photos only (0: all)
  int val_limit = 0;  // the first N validation photos only (0: all)
  std::string run;    // "" -> a new run (with resume: the latest)
  bool resume = false;
  long stop_after_batches = -1;  // abort, as a crash would (tests)
};

// ---- benchmark ------------------------------------------------------------
// The scheduled job: for each set size, a seeded random set of images from
// the store; model load, read, decode, crop and classify are timed together,
// scored on all faces and on held-out (test split) faces; one record per set
// goes to the results table.
struct BenchmarkOptions {
  std::string store = "maskwatch-data";  // dataset, split and (by default) the model
  std::string model_store;               // where the model is, when elsewhere
  std::string model = "latest";
  std::string results;  // results table URI; "" -> default_results_uri(store)
  std::vector<int> sizes = {100, 200, 400};
  std::uint64_t seed = 0;
  int threads = 0;
  bool record = true;  // false: measure without writing to the table
  // Detect-then-classify: each set's photos go through the face detector
  // (its time counted), and each record carries mAP@0.5 beside accuracy.
  bool detect = false;
  std::string detector = "latest";  // the store's detector: an id, "latest" or "pretrained"
};
json benchmark(const BenchmarkOptions& opt, const Reporter& rep = {});
// sqlite://<folder>/results.db for a folder store, else sqlite://maskwatch-results.db.
std::string default_results_uri(const std::string& store);

// ---- AWS Lambda deployment --------------------------------------------------
struct PackageOptions {
  std::string store = "maskwatch-data";
  std::string model = "latest";
  std::string output = "build/maskwatch-lambda.zip";
  std::string lambda_binary;  // default: maskwatch-lambda beside the running program
  int zip_level = 9;          // 0 (store) to 9 (smallest)
};
// Writes the deployment zip; returns its zipped and unzipped sizes. Throws
// when it would not fit Lambda's 250 MB unzipped limit.
json package_lambda(const PackageOptions& opt, const Reporter& rep = {});

// ---- the whole job --------------------------------------------------------
struct PipelineOptions {
  IngestOptions ingest;
  PrepareOptions prepare;
  TrainOptions train;
  BenchmarkOptions benchmark;  // its store, model and threads follow train's
  // The face detector, fine-tuned after the classifier and published, so that
  // the job ends with models that work on any photo; 0 epochs: not trained
  // (commands then use the pretrained detector). Its store, seed and threads follow train's.
  DetectorTrainOptions detector;
};
json pipeline(const PipelineOptions& opt, const Reporter& rep = {});

// The dataset folder: the flag, then $MASKWATCH_DATA, then
// ../shared/data/face-mask-detection; throws with where to get it otherwise.
std::string resolve_data_dir(const std::string& flag);

// Sets the number of intra-op threads (0: all cores); returns the number used.
int set_threads(int threads);

}  // namespace mw
