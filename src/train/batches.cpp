#include "train/batches.h"

#include <numeric>
#include <random>

#include "core/rng.h"
#include "data/composite.h"
#include "model/runtime.h"
#include "train/sampler.h"

namespace mw {

namespace {

// Streams of draws, apart from the augmentation streams (2 + position).
constexpr std::uint64_t kMixupStream = 1ULL << 40;
constexpr std::uint64_t kSynthStream = 2ULL << 40;
constexpr std::uint64_t kAugmentStream = 2;
constexpr std::uint64_t kFramingStream = 3ULL << 40;

// Mixup: the weight of each sample (lambda ~ Beta(a, a)) and the partner it
// is blended with (a seeded permutation of the batch).
struct Mixup {
  double weight = 1;
  std::vector<std::int64_t> partner;
};
Mixup mixup_batch(Rng& rng, double a, std::size_t n) {
  std::mt19937_64 gen(rng.next());
  std::gamma_distribution<double> gamma(a, 1.0);
  const double g1 = gamma(gen), g2 = gamma(gen);
  Mixup m;
  m.weight = g1 + g2 > 0 ? g1 / (g1 + g2) : 1.0;
  m.partner.resize(n);
  std::iota(m.partner.begin(), m.partner.end(), 0);
  rng.shuffle(m.partner.begin(), m.partner.end());
  return m;
}

std::size_t rgb_bytes(int side) { return std::size_t(side) * side * 3; }

}  // namespace

// --synthesize: a drawn mask_weared_incorrect (or with_mask) example is, with
// chance p, replaced by a composite of a without_mask face over a with_mask
// face, the seam below (or above) the nose. Its own stream of draws.
// With framing, it composes the faces' context crops, the seam moved to the same row of the face.
class BatchMaker::Synthesizer {
 public:
  Synthesizer(const Shard& s, double p, const FramingOptions* framing = nullptr)
      : s_(s), p_(p), framing_(framing ? std::optional<FramingOptions>(*framing) : std::nullopt), buf_(s.crop_bytes()) {
    for (std::size_t i = 0; i < s.count(); ++i) {
      if (s.labels[i] == without_) tops_.push_back(i);
      if (s.labels[i] == with_) bottoms_.push_back(i);
    }
  }
  // The crop to train on for draw j of the epoch: example i itself, or a composite.
  const std::uint8_t* crop(std::size_t i, std::uint64_t seed, int epoch, std::size_t j) {
    const int label = s_.labels[i];
    if (p_ <= 0 || tops_.empty() || bottoms_.empty() || (label != incorrect_ && label != with_)) return s_.crop(i);
    Rng rng = Rng::derive(seed, static_cast<std::uint64_t>(epoch), kSynthStream + j);
    if (rng.uniform() >= p_) return s_.crop(i);
    const std::size_t top = tops_[rng.below(tops_.size())], bottom = bottoms_[rng.below(bottoms_.size())];
    double seam = draw_seam(rng, label == incorrect_ ? kSeamBelowNose : kSeamAboveNose);
    if (framing_) seam = seam_in_context(seam, *framing_);
    composite_faces(s_.crop(top), s_.crop(bottom), s_.size, seam, buf_.data());
    return buf_.data();
  }

 private:
  const Shard& s_;
  double p_;
  std::optional<FramingOptions> framing_;
  std::vector<std::uint8_t> buf_;
  std::vector<std::size_t> tops_, bottoms_;
  const int with_ = class_index("with_mask"), without_ = class_index("without_mask"),
            incorrect_ = class_index("mask_weared_incorrect");
};

BatchMaker::BatchMaker(const TrainOptions& o, const Shard& train_set, InputSpec student,
                       std::optional<InputSpec> teacher)
    : o_(o),
      set_(train_set),
      student_(student),
      teacher_(teacher),
      aug_(AugmentOptions().scaled(static_cast<float>(o.augment_strength))),
      steps_(static_cast<long>((train_set.count() + o.batch - 1) / o.batch)),
      synth_(std::make_unique<Synthesizer>(train_set, o.synthesize)) {}

BatchMaker::~BatchMaker() = default;

void BatchMaker::frame_from(const Shard& context, const FramingOptions& framing) {
  if (context.count() != set_.count() || context.labels != set_.labels)
    throw Error("train --framing", "the context crops are not the training faces");
  context_ = &context;
  framing_ = framing;
  synth_ = std::make_unique<Synthesizer>(context, o_.synthesize, &framing_);
}

void BatchMaker::start_epoch(int epoch) {
  epoch_ = epoch;
  order_ = epoch_order(o_, set_, epoch);
}

std::optional<Batch> BatchMaker::make(long b) {
  const std::size_t lo = b * o_.batch, hi = std::min(order_.size(), lo + o_.batch);
  if (hi - lo < 2) return std::nullopt;
  const std::size_t n = hi - lo, bytes = rgb_bytes(student_.size),
                    teacher_bytes = teacher_ ? rgb_bytes(teacher_->size) : 0;
  px_.resize(n * bytes);
  teacher_px_.resize(n * teacher_bytes);
  labels_.resize(n);
  for (std::size_t j = lo; j < hi; ++j) {
    view(j, px_.data() + (j - lo) * bytes, teacher_px_.data() + (j - lo) * teacher_bytes);
    labels_[j - lo] = set_.labels[order_[j]];
  }
  Batch batch;
  const auto count = static_cast<std::int64_t>(n);
  if (teacher_) batch.teacher_x = crops_to_tensor(teacher_px_.data(), count, teacher_->size, teacher_->norm);
  batch.x = crops_to_tensor(px_.data(), count, student_.size, student_.norm);
  batch.y = torch::tensor(labels_);
  if (o_.mixup > 0) mix(b, batch);
  return batch;
}

void BatchMaker::view(std::size_t j, std::uint8_t* dst, std::uint8_t* tdst) {
  const std::uint8_t* src = synth_->crop(order_[j], o_.seed, epoch_, j);
  int crop = set_.size;
  if (context_) {  // a window of the context crop, at its own resolution
    Rng rng = Rng::derive(o_.seed, static_cast<std::uint64_t>(epoch_), kFramingStream + j);
    const cv::Rect w = framed_window(draw_framing(rng, framing_), context_margin(framing_), context_->size);
    window_.resize(rgb_bytes(w.width));
    copy_window(src, context_->size, w, window_.data());
    src = window_.data();
    crop = w.width;
  }
  if (!o_.augment) {
    resize_crop(src, crop, dst, student_.size);
    if (teacher_) resize_crop(src, crop, tdst, teacher_->size);
    return;
  }
  // The teacher sees the same view (the same draws) at its own input size.
  const Rng draws = Rng::derive(o_.seed, static_cast<std::uint64_t>(epoch_), kAugmentStream + j);
  Rng rng = draws;
  augment_crop(src, crop, dst, student_.size, rng, aug_);
  if (teacher_) {
    Rng teacher_rng = draws;
    augment_crop(src, crop, tdst, teacher_->size, teacher_rng, aug_);
  }
}

void BatchMaker::mix(long b, Batch& batch) const {
  Rng rng = Rng::derive(o_.seed, static_cast<std::uint64_t>(epoch_), kMixupStream + static_cast<std::uint64_t>(b));
  const auto m = mixup_batch(rng, o_.mixup, static_cast<std::size_t>(batch.size()));
  batch.mix_weight = m.weight;
  batch.partner = torch::tensor(m.partner);
  batch.x = batch.x.mul(m.weight).add(batch.x.index_select(0, batch.partner), 1 - m.weight);
  if (batch.teacher_x.defined())
    batch.teacher_x = batch.teacher_x.mul(m.weight).add(batch.teacher_x.index_select(0, batch.partner), 1 - m.weight);
}

}  // namespace mw
