#include "api/face_labeller.h"

#include <utility>

#include "api/faces.h"
#include "core/paths.h"
#include "core/version.h"
#include "data/image_decode.h"
#include "detect/detector_artifact.h"
#include "store/object_store.h"

namespace mw {

std::string version() { return version_string(); }

const std::uint8_t* packed_rgb(const ImageView& image, std::vector<std::uint8_t>& copy) {
  if (!image.pixels || image.width <= 0 || image.height <= 0)
    throw Error("image", "empty: " + std::to_string(image.width) + "x" + std::to_string(image.height) + " pixels");
  if (image.width > kMaxRequestSide || image.height > kMaxRequestSide)
    throw Error("image", std::to_string(image.width) + "x" + std::to_string(image.height) + " is over " +
                             std::to_string(kMaxRequestSide) + " px a side");
  const std::ptrdiff_t row = static_cast<std::ptrdiff_t>(image.width) * 3;
  const std::ptrdiff_t stride = image.stride == 0 ? row : image.stride;
  if (stride < row)
    throw Error("image stride", std::to_string(stride) + " bytes is under a row of " + std::to_string(row));
  if (stride == row && image.order == PixelOrder::rgb) return image.pixels;
  copy.resize(static_cast<std::size_t>(row) * static_cast<std::size_t>(image.height));
  for (int y = 0; y < image.height; ++y) {
    const std::uint8_t* in = image.pixels + stride * y;
    std::uint8_t* out = copy.data() + row * y;
    if (image.order == PixelOrder::rgb) {
      std::copy(in, in + row, out);
      continue;
    }
    for (std::ptrdiff_t x = 0; x < row; x += 3) out[x] = in[x + 2], out[x + 1] = in[x + 1], out[x + 2] = in[x];
  }
  return copy.data();
}

namespace {

Image image_of(const cv::Mat& rgb) {
  Image out;
  out.width = rgb.cols, out.height = rgb.rows;
  out.pixels.assign(rgb.datastart, rgb.dataend);
  return out;
}

}  // namespace

Image decode_image(const std::string& bytes, const std::string& source, long max_pixels) {
  return image_of(decode_image_rgb(bytes, source, ImageLimits{max_pixels, kMaxRequestSide}));
}

Image read_image(const std::string& path, long max_pixels) {
  return decode_image(read_file(path, kMaxImageBytes), path, max_pixels);
}

FaceLabeller::FaceLabeller(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FaceLabeller::~FaceLabeller() = default;
FaceLabeller::FaceLabeller(FaceLabeller&&) noexcept = default;
FaceLabeller& FaceLabeller::operator=(FaceLabeller&&) noexcept = default;

FaceLabeller open_labeller(const LabellerParts& parts) {
  auto impl = std::unique_ptr<FaceLabeller::Impl>(new FaceLabeller::Impl{
      Classifier(parts.store, parts.model, parts.threads, parts.engine, parts.precision), {}, ""});
  if (parts.with_detector)
    impl->detector.emplace(open_detector(*open_store(parts.store),
                                         parts.detector, parts.detector_options, impl->detector_id));
  return FaceLabeller(std::move(impl));
}

FaceLabeller FaceLabeller::open(const std::string& store, const OpenOptions& options) {
  if (!(options.min_face_score >= 0 && options.min_face_score <= 1))
    throw Error("min_face_score", std::to_string(options.min_face_score) + " is not within 0..1");
  LabellerParts parts{store, options.classifier, options.threads};
  parts.engine = options.engine, parts.precision = options.precision;
  parts.detector = options.detector;
  parts.detector_options.min_score = options.min_face_score;
  return open_labeller(parts);
}

std::vector<Face> FaceLabeller::detect(const ImageView& image, const DetectOptions& options) const {
  if (!impl_->detector) throw Error("detect", "no face detector is loaded");
  check_min_confidence(json(options.min_confidence), "min_confidence");
  std::vector<std::uint8_t> copy;
  const std::uint8_t* rgb = packed_rgb(image, copy);
  std::vector<Box> boxes;
  std::vector<float> face_scores;
  for (const auto& f : impl_->detector->detect(rgb, image.width, image.height))
    if (std::min(f.box.width(), f.box.height()) >= options.min_face_size)
      boxes.push_back(f.box), face_scores.push_back(f.score);
  if (boxes.empty()) return {};
  auto faces = impl_->classifier.classify_rgb(rgb, image.width, image.height, boxes);
  for (std::size_t i = 0; i < faces.size(); ++i) faces[i].face_score = face_scores[i];
  mark_unsure(faces, options.min_confidence);
  return faces;
}

std::vector<Face> FaceLabeller::classify(const ImageView& image, const std::vector<Box>& boxes,
                                         const ClassifyOptions& options) const {
  check_box_count(boxes.size(), "boxes");
  check_min_confidence(json(options.min_confidence), "min_confidence");
  std::vector<std::uint8_t> copy;
  const std::uint8_t* rgb = packed_rgb(image, copy);
  auto faces = impl_->classifier.classify_rgb(rgb, image.width, image.height, boxes);
  mark_unsure(faces, options.min_confidence);
  return faces;
}

const std::vector<std::string>& FaceLabeller::labels() const { return impl_->classifier.labels(); }
std::string FaceLabeller::label_of(const Face& face) const { return answer_label(face, labels()); }
std::string FaceLabeller::classifier_id() const { return impl_->classifier.metadata().value("id", ""); }
std::string FaceLabeller::detector_id() const { return impl_->detector ? impl_->detector_id : ""; }
std::string FaceLabeller::engine() const { return impl_->classifier.engine(); }

}  // namespace mw
