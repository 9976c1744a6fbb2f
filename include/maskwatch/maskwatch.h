// maskwatch's inference API: the faces in an image, and whether each wears a
// mask, wears none, or wears it incorrectly.
//
//   mw::FaceLabeller faces = mw::FaceLabeller::open("maskwatch-data");
//   for (const mw::Face& f : faces.detect(mw::ImageView{pixels, width, height}))
//     std::printf("%s %.2f\n", faces.label_of(f).c_str(), f.confidence);
//
// This header needs only the standard library; the library it belongs to
// (maskwatch::maskwatch, libmaskwatch.so) runs without LibTorch. Training and
// the pipeline are in <maskwatch.h>.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace mw {

// "0.1.0 (commit abc1234)": the library's version.
std::string version();

// Every error says where (a file, a field, a box) and what was expected.
class Error : public std::runtime_error {
 public:
  Error(std::string where, std::string what);
  const std::string& where() const { return where_; }
  const std::string& reason() const { return reason_; }

 private:
  std::string where_, reason_;
};

struct Box {  // pixel coordinates, [xmin, xmax) x [ymin, ymax)
  float xmin = 0, ymin = 0, xmax = 0, ymax = 0;
  float width() const { return xmax - xmin; }
  float height() const { return ymax - ymin; }
};

// 8-bit pixels the caller owns, three channels a pixel, rows `stride` bytes
// apart (0: width x 3): an OpenCV Mat (bgr), a video frame or a numpy array,
// passed without a copy.
enum class PixelOrder { rgb, bgr };
struct ImageView {
  const std::uint8_t* pixels = nullptr;
  int width = 0, height = 0;
  std::ptrdiff_t stride = 0;
  PixelOrder order = PixelOrder::rgb;
};

// A decoded image that owns its pixels (RGB, rows packed).
struct Image {
  std::vector<std::uint8_t> pixels;
  int width = 0, height = 0;
  ImageView view() const { return {pixels.data(), width, height, 0, PixelOrder::rgb}; }
};
// The most pixels read_image() and decode_image() decode, width x height.
inline constexpr long kMaxImagePixels = 60'000'000;
// A JPEG or PNG file, or its bytes (`source` names it in errors): the size is
// read from the header and checked against max_pixels before pixels are
// allocated; anything else, or a truncated or lying file, is an Error.
Image read_image(const std::string& path, long max_pixels = kMaxImagePixels);
Image decode_image(const std::string& bytes, const std::string& source = "image", long max_pixels = kMaxImagePixels);

// One face: where, how sure it is a face, and its label.
struct Face {
  Box box;                    // in the image's pixels, clipped to it
  float face_score = 1;       // the detector's probability that it is a face (1 for a box the caller gave)
  int label = -1;             // index into labels(): the best guess
  std::vector<float> scores;  // one calibrated probability per label (a confidence of 0.9 is right 9 times in 10)
  float confidence = 0;       // scores[label]
  bool unsure = false;        // confidence under ClassifyOptions::min_confidence
  std::string framing;        // a photo classified as one face: how it was framed; else empty
};

struct OpenOptions {
  std::string classifier = "latest";  // a model id (or a unique prefix), or "latest"
  std::string detector = "latest";    // a detector id, "latest" (the store's, else the bundled one) or "pretrained"
  int threads = 0;                    // 0: all cores
  std::string engine = "auto";        // auto | plain | torch (a program that links LibTorch)
  std::string precision = "auto";     // auto (int8 where the model is calibrated and the CPU runs it) | fp32 |
                                      // bf16 | int8
  float min_face_score = 0.5f;        // the detector's least face probability
};

struct ClassifyOptions {
  double min_confidence = 0;  // a face less sure than this is unsure (0: never)
};
struct DetectOptions {
  double min_confidence = 0;  // as ClassifyOptions
  double min_face_size = 0;   // faces whose shorter side is under this many pixels are left out
};

// The face detector and the mask classifier, loaded once. Const calls may
// run from several threads at once.
class FaceLabeller {
 public:
  // From an object store (a folder, file:///path or s3://bucket/prefix):
  // its classifier and face detector. A folder that `maskwatch models export`
  // wrote is such a store.
  static FaceLabeller open(const std::string& store, const OpenOptions& options = {});

  // Every face the detector finds, classified, best face first.
  std::vector<Face> detect(const ImageView& image, const DetectOptions& options = {}) const;
  // The faces the caller already has, in the order given.
  std::vector<Face> classify(const ImageView& image, const std::vector<Box>& boxes,
                             const ClassifyOptions& options = {}) const;

  const std::vector<std::string>& labels() const;  // with_mask, without_mask, mask_weared_incorrect
  // A face's answer: "unsure" for an unsure face, else its label's name.
  std::string label_of(const Face& face) const;
  std::string classifier_id() const;
  std::string detector_id() const;
  std::string engine() const;  // e.g. "plain int8"

  ~FaceLabeller();
  FaceLabeller(FaceLabeller&&) noexcept;
  FaceLabeller& operator=(FaceLabeller&&) noexcept;
  struct Impl;
  explicit FaceLabeller(std::unique_ptr<Impl> impl);
  const Impl& impl() const { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace mw
