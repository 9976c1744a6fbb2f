#include <algorithm>
#include <cmath>
#include <cstdio>
#include <opencv2/core.hpp>

#include "data/augment.h"
#include "data/crop.h"
#include "data/dataset.h"
#include "data/voc.h"
#include "infer/engine.h"
#include "model/model_ref.h"
#include "train/confidence.h"

namespace mw {

struct Classifier::Impl {
  json meta;
  std::unique_ptr<Engine> engine;
  std::vector<std::string> labels;
  int crop_size = 0, input_size = 0;
  float margin = 0;
  double temperature = 1;
};

Classifier::Classifier(const std::string& store, const std::string& model, int threads, const std::string& engine,
                       const std::string& precision)
    : impl_(new Impl) {
  auto s = open_store(store);
  auto ref = find_model(*s, model);
  impl_->engine = open_engine(*s, ref, threads, engine, precision);
  impl_->meta = std::move(ref.meta);
  impl_->input_size = impl_->meta.at("input_size");
  impl_->crop_size = impl_->meta.value("crop_size", impl_->input_size);
  impl_->margin = impl_->meta.value("margin", 0.f);
  impl_->labels = impl_->meta.at("labels").get<std::vector<std::string>>();
  impl_->temperature = model_temperature(impl_->meta);
}

Classifier::~Classifier() = default;
Classifier::Classifier(Classifier&&) noexcept = default;
Classifier& Classifier::operator=(Classifier&&) noexcept = default;

const json& Classifier::metadata() const { return impl_->meta; }
const std::vector<std::string>& Classifier::labels() const { return impl_->labels; }
std::string Classifier::engine() const { return impl_->engine->name(); }
double Classifier::temperature() const { return impl_->temperature; }

std::vector<std::uint8_t> Classifier::crop_faces(const std::uint8_t* rgb, int width, int height,
                                                 const std::vector<Box>& boxes) const {
  cv::Mat image(height, width, CV_8UC3, const_cast<std::uint8_t*>(rgb));
  const int cs = impl_->crop_size, is = impl_->input_size;
  const std::size_t out_bytes = static_cast<std::size_t>(is) * is * 3;
  std::vector<std::uint8_t> crops(boxes.size() * out_bytes);
  for (std::size_t i = 0; i < boxes.size(); ++i) {
    // As ingest does: a box is clipped to the image, and one with nothing left inside is refused
    // (a box far off a small image would otherwise ask for a huge crop).
    const Box& b = boxes[i];
    const Box clipped = clip_box(b, width, height);
    if (!std::isfinite(b.xmin + b.ymin + b.xmax + b.ymax) || clipped.width() <= 0 || clipped.height() <= 0) {
      char where[160];
      std::snprintf(where, sizeof where, "box %zu [%g,%g,%g,%g]", i, b.xmin, b.ymin, b.xmax, b.ymax);
      throw Error(where, "has no area inside the " + std::to_string(width) + "x" + std::to_string(height) + " image");
    }
    cv::Mat c = crop_face(image, clipped, impl_->margin, cs);
    if (cs == is)
      std::copy(c.datastart, c.dataend, crops.begin() + static_cast<std::ptrdiff_t>(i * out_bytes));
    else
      resize_crop(c.ptr<std::uint8_t>(), cs, crops.data() + i * out_bytes, is);
  }
  return crops;
}

std::vector<Face> Classifier::classify_crops(const std::vector<std::uint8_t>& crops,
                                             const std::vector<Box>& boxes) const {
  auto out = classify_crops(crops.data(), boxes.size(), impl_->input_size);
  for (std::size_t i = 0; i < out.size(); ++i) out[i].box = boxes[i];
  return out;
}

std::vector<float> Classifier::logits(const std::uint8_t* crops, std::size_t n, int crop_side) const {
  const int is = impl_->input_size;
  std::vector<std::uint8_t> resized;
  if (crop_side != is) {
    const std::size_t in_bytes = std::size_t(crop_side) * crop_side * 3, out_bytes = std::size_t(is) * is * 3;
    resized.resize(n * out_bytes);
    for (std::size_t i = 0; i < n; ++i)
      resize_crop(crops + i * in_bytes, crop_side, resized.data() + i * out_bytes, is);
    crops = resized.data();
  }
  std::vector<float> out(n * impl_->labels.size());
  impl_->engine->logits(crops, static_cast<std::int64_t>(n), out.data());
  return out;
}

std::vector<Face> Classifier::classify_crops(const std::uint8_t* crops, std::size_t n, int crop_side) const {
  const std::vector<float> all = logits(crops, n, crop_side);
  return predictions_from_logits(all.data(), n, static_cast<int>(impl_->labels.size()), impl_->temperature);
}

std::vector<Face> Classifier::classify_rgb(const std::uint8_t* rgb, int width, int height,
                                           const std::vector<Box>& boxes) const {
  return classify_crops(crop_faces(rgb, width, height, boxes), boxes);
}

std::vector<Face> Classifier::classify(const std::string& encoded_image, const std::vector<Box>& boxes,
                                       const std::string& source) const {
  auto rgb = decode_rgb(encoded_image, source);
  return classify_rgb(rgb.ptr<std::uint8_t>(), rgb.cols, rgb.rows, boxes);
}

Face Classifier::classify_whole_rgb(const std::uint8_t* rgb, int width, int height) const {
  // The box whose crop region (box plus margin on every side) is the whole image.
  const float w = float(width), h = float(height), k = 1.f + 2.f * impl_->margin;
  const float bw = w / k, bh = h / k;
  Box box{0.5f * (w - bw), 0.5f * (h - bh), 0.5f * (w + bw), 0.5f * (h + bh)};
  auto p = classify_rgb(rgb, width, height, {box}).at(0);
  p.box = {0, 0, w, h};
  return p;
}

Face Classifier::classify_face_crop(const std::string& encoded_image, const std::string& source) const {
  auto rgb = decode_rgb(encoded_image, source);
  return classify_whole_rgb(rgb.ptr<std::uint8_t>(), rgb.cols, rgb.rows);
}

}  // namespace mw
