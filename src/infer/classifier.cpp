#include <opencv2/core.hpp>

#include "data/crop.h"
#include "data/dataset.h"
#include "model/artifact.h"
#include "model/runtime.h"

namespace mw {

struct Classifier::Impl {
  LoadedModel model;
  int crop_size = 0, input_size = 0;
  float margin = 0;
};

Classifier::Classifier(const std::string& store, const std::string& model, int threads) : impl_(new Impl) {
  set_threads(threads);
  auto s = open_store(store);
  impl_->model = load_model(*s, model);
  impl_->model.net->fold_batchnorm();
  const auto& m = impl_->model.meta;
  impl_->input_size = m.at("input_size");
  impl_->crop_size = m.value("crop_size", impl_->input_size);
  impl_->margin = m.value("margin", 0.f);
}

Classifier::~Classifier() = default;
Classifier::Classifier(Classifier&&) noexcept = default;
Classifier& Classifier::operator=(Classifier&&) noexcept = default;

const json& Classifier::metadata() const { return impl_->model.meta; }

std::vector<Prediction> Classifier::classify_rgb(const std::uint8_t* rgb, int width, int height,
                                                 const std::vector<Box>& boxes) const {
  cv::Mat image(height, width, CV_8UC3, const_cast<std::uint8_t*>(rgb));
  const int cs = impl_->crop_size;
  std::vector<std::uint8_t> crops(boxes.size() * std::size_t(cs) * cs * 3);
  for (std::size_t i = 0; i < boxes.size(); ++i) {
    cv::Mat c = crop_face(image, boxes[i], impl_->margin, cs);
    std::copy(c.datastart, c.dataend, crops.begin() + static_cast<std::ptrdiff_t>(i * c.total() * 3));
  }
  auto logits =
      logits_for_crops(*impl_->model.net, crops.data(), static_cast<std::int64_t>(boxes.size()), cs, impl_->input_size);
  auto probs = torch::softmax(logits, 1).contiguous();
  auto acc = probs.accessor<float, 2>();
  std::vector<Prediction> out(boxes.size());
  for (std::size_t i = 0; i < boxes.size(); ++i) {
    out[i].box = boxes[i];
    for (int k = 0; k < kNumClasses; ++k) out[i].scores[k] = acc[i][k];
    out[i].label =
        static_cast<int>(std::max_element(out[i].scores.begin(), out[i].scores.end()) - out[i].scores.begin());
  }
  return out;
}

std::vector<Prediction> Classifier::classify(const std::string& encoded_image, const std::vector<Box>& boxes) const {
  auto rgb = decode_rgb(encoded_image, "image");
  return classify_rgb(rgb.ptr<std::uint8_t>(), rgb.cols, rgb.rows, boxes);
}

Prediction Classifier::classify_face_crop(const std::string& encoded_image) const {
  auto rgb = decode_rgb(encoded_image, "image");
  // The box whose crop region (box plus margin on every side) is the whole image.
  const float w = float(rgb.cols), h = float(rgb.rows), k = 1.f + 2.f * impl_->margin;
  const float bw = w / k, bh = h / k;
  Box box{0.5f * (w - bw), 0.5f * (h - bh), 0.5f * (w + bw), 0.5f * (h + bh)};
  auto p = classify_rgb(rgb.ptr<std::uint8_t>(), rgb.cols, rgb.rows, {box}).at(0);
  p.box = {0, 0, w, h};
  return p;
}

}  // namespace mw
