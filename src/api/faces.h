// The one request path for "faces in a photo": an encoded photo and, when the
// caller knows them, the faces' boxes in; each face's label and scores out.
// The CLI (classify), the Lambda function and the HTTP server all go through
// it, so they parse, validate, run and report a request the same way.
#pragma once
#include <cstddef>
#include <exception>
#include <functional>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "maskwatch.h"

namespace mw {

inline constexpr std::size_t kMaxBoxesPerRequest = 1024;
inline constexpr double kMaxCoordinate = 1e6;               // pixels; no photo of ours is larger
inline constexpr std::size_t kMaxImageBytes = 64u << 20;    // an encoded photo
inline constexpr long kMaxRequestPixels = kMaxImagePixels;  // a decoded photo, width x height
inline constexpr int kMaxRequestSide = 16384;               // each side of a decoded photo
inline constexpr const char* kUnsureLabel = "unsure";       // the answer for a face under the minimum confidence

// How a photo sent as one face (whole_image) is framed, the rule's name
// being what the answer's "framing" says:
//   "face":   the face detector's largest face, cropped as a given box is
//             (the model's margin); "image" when it finds none
//             ("image, no face found");
//   "image":  the photo is the crop region (its shorter side padded by
//             repeating the edge to make it square);
//   "centre": the centred square of the photo's shorter side is the crop region;
//   "auto":   the rule that measured best on the dataset's photos of one
//             large face (kWholeImageRule; docs/measurements.md).
inline constexpr const char* kWholeImageRules[] = {"auto", "face", "image", "centre"};
extern const char* const kWholeImageRule;
// The answer's "framing" when the face rule found no face.
inline constexpr const char* kNoFaceFraming = "image, no face found";

struct FacesRequest {
  std::string source = "image";           // where the photo came from (a path, "image"), for errors
  std::string image;                      // encoded bytes (JPEG or PNG)
  std::vector<Box> boxes;                 // the faces; empty with whole_image
  bool whole_image = false;               // the photo is one face crop
  std::string whole_image_rule = "auto";  // how whole_image frames it (kWholeImageRules)
  long max_pixels = kMaxRequestPixels;    // a photo over this is refused from its header
  double min_confidence = 0;              // a face less sure than this is answered "unsure" (0: never)
  bool detect = false;                    // no boxes given: the face detector finds them
  double min_face = 0;                    // with detect: faces whose shorter side is under this (px) are dropped
  std::function<void(long pixels)>
      admit;  // called with the photo's pixels before they are decoded (data/image_decode.h)
};

// A photo that is neither JPEG nor PNG (by its bytes or its declared type).
class UnsupportedImageType : public Error {
 public:
  using Error::Error;
};
// A request that a server has no room for now (answered 503).
class Overloaded : public Error {
 public:
  using Error::Error;
};
// The media types a photo may be sent as: image/jpeg and image/png.
bool is_supported_image_type(const std::string& media_type);

// A box from "XMIN,YMIN,XMAX,YMAX" (decimal numbers) or a JSON array of four
// numbers; both checked alike (finite, within kMaxCoordinate, xmin < xmax,
// ymin < ymax). Throws mw::Error naming `where`.
Box parse_box(const std::string& text, const std::string& where);
Box parse_box(const json& value, const std::string& where);
// At most kMaxBoxesPerRequest boxes; throws naming the count.
void check_box_count(std::size_t count, const std::string& where);

// A minimum confidence, 0 to 1, from a decimal number (parse) or a JSON number (check).
// Throws mw::Error naming `where`.
double parse_min_confidence(const std::string& text, const std::string& where);
double check_min_confidence(const json& value, const std::string& where);

// {"image": "<base64>", "boxes": [[xmin, ymin, xmax, ymax], ...],
// "min_confidence": 0.9, "whole_image": false}; no boxes: the face detector
// finds the faces (detect), unless "whole_image" is true (the photo is one
// face crop); no min_confidence: 0. Throws mw::Error naming the field that
// is wrong.
FacesRequest parse_faces_request(const json& payload);

// The decoded photo of a request (8-bit RGB): throws UnsupportedImageType,
// ImageTooLarge (over max_pixels or kMaxRequestSide) or mw::Error (malformed).
cv::Mat decode_request_image(const FacesRequest& request);
// Marks the faces whose confidence is under min_confidence as unsure.
void mark_unsure(std::vector<Face>& faces, double min_confidence);
// A face's answer: "unsure" for an unsure face, else its label's name.
std::string answer_label(const Face& face, const std::vector<std::string>& labels);

// A whole_image_rule that is one of kWholeImageRules, else mw::Error naming `where`.
std::string check_whole_image_rule(const std::string& rule, const std::string& where);
// The rule a whole_image request applies: `rule` checked, "auto" taken as kWholeImageRule.
std::string applied_whole_image_rule(const std::string& rule, const std::string& where);

// Runs one request through the labeller's public calls (FaceLabeller::detect
// for `detect`, ::classify for boxes; faces under the request's
// min_confidence marked unsure); `rgb` is decode_request_image's. A
// whole_image request under the face rule needs the labeller's detector; its
// answer's Face::framing names the rule applied, its box the face's box
// (face) or the crop region (image, centre), clipped to the photo.
std::vector<Face> run_faces_request(const FaceLabeller& labeller, const FacesRequest& request, const cv::Mat& rgb);
// The same, decoding the photo itself.
std::vector<Face> run_faces_request(const FaceLabeller& labeller, const FacesRequest& request);

// [{"box": [...], "label": "...", "confidence": p, "scores": {"<label>": p, ...}}, ...];
// an unsure face's label is "unsure" and its best guess is in "guess"; a
// whole-image face has "framing" (the rule applied).
json faces_json(const std::vector<Face>& faces, const std::vector<std::string>& labels);

// One request's failure as every caller reports it: an HTTP-style status, a
// short code and a message that names the field or file.
struct RequestError {
  int status = 500;
  std::string code = "internal";
  std::string message;
};
// Any exception -> its RequestError: a photo over the pixel limits 413
// too_large, one of another type 415 unsupported_type, mw::Error and
// malformed JSON the caller's (400 bad_request), memory exhaustion 413
// too_large, the rest 500.
RequestError request_error(const std::exception_ptr& error);
json error_json(const RequestError& error);  // {"error": {"code", "message"}}

}  // namespace mw
