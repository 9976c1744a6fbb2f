#include "api/faces.h"

#include <algorithm>
#include <cmath>
#include <new>
#include <opencv2/core.hpp>

#include "api/face_labeller.h"
#include "core/base64.h"
#include "core/json_text.h"
#include "core/text.h"
#include "data/image_decode.h"
#include "detect/detector.h"

namespace mw {

namespace {

Box checked_box(const double v[4], const std::string& where) {
  for (int i = 0; i < 4; ++i)
    if (!(std::abs(v[i]) <= kMaxCoordinate))
      throw Error(where,
                  "expected pixel coordinates (finite numbers up to " + std::to_string(long(kMaxCoordinate)) + ")");
  Box box{float(v[0]), float(v[1]), float(v[2]), float(v[3])};
  if (!(box.xmax > box.xmin && box.ymax > box.ymin)) throw Error(where, "expected xmin < xmax and ymin < ymax");
  return box;
}

}  // namespace

Box parse_box(const std::string& text, const std::string& where) {
  double v[4];
  if (!parse_decimals(text, v, 4))
    throw Error(where + " " + quote_text(text), "expected XMIN,YMIN,XMAX,YMAX (four decimal numbers)");
  return checked_box(v, where + " " + quote_text(text));
}

Box parse_box(const json& value, const std::string& where) {
  if (!value.is_array() || value.size() != 4) throw Error(where, "expected [xmin, ymin, xmax, ymax]");
  double v[4];
  for (int i = 0; i < 4; ++i) {
    if (!value[i].is_number()) throw Error(where, "expected [xmin, ymin, xmax, ymax] of numbers");
    v[i] = value[i].get<double>();
  }
  return checked_box(v, where);
}

void check_box_count(std::size_t count, const std::string& where) {
  if (count > kMaxBoxesPerRequest)
    throw Error(where, std::to_string(count) + " boxes; at most " + std::to_string(kMaxBoxesPerRequest));
}

double parse_min_confidence(const std::string& text, const std::string& where) {
  double v = 0;
  if (!parse_decimal(text, v)) throw Error(where + " " + quote_text(text), "expected a number from 0 to 1");
  return check_min_confidence(json(v), where + " " + quote_text(text));
}

double check_min_confidence(const json& value, const std::string& where) {
  if (!value.is_number() || !(value.get<double>() >= 0 && value.get<double>() <= 1))
    throw Error(where, "expected a number from 0 to 1");
  return value.get<double>();
}

FacesRequest parse_faces_request(const json& payload) {
  if (!payload.is_object()) throw Error("request", "expected a JSON object");
  auto image = payload.find("image");
  if (image == payload.end() || !image->is_string()) throw Error("image", "expected a base64 string");
  FacesRequest req;
  req.image = base64_decode(image->get<std::string>());
  if (req.image.empty()) throw Error("image", "empty");
  auto boxes = payload.find("boxes");
  auto min_confidence = payload.find("min_confidence");
  if (min_confidence != payload.end() && !min_confidence->is_null())
    req.min_confidence = check_min_confidence(*min_confidence, "min_confidence");
  auto whole = payload.find("whole_image");
  if (whole != payload.end() && !whole->is_null() && !whole->is_boolean())
    throw Error("whole_image", "expected true or false");
  req.whole_image = whole != payload.end() && whole->is_boolean() && whole->get<bool>();
  auto rule = payload.find("whole_image_rule");
  if (rule != payload.end() && !rule->is_null()) {
    if (!rule->is_string()) throw Error("whole_image_rule", "expected one of auto, face, image, centre");
    req.whole_image_rule = check_whole_image_rule(rule->get<std::string>(), "whole_image_rule");
  }
  const bool no_boxes = boxes == payload.end() || boxes->is_null();
  if (req.whole_image && !no_boxes) throw Error("whole_image", "give boxes or whole_image, not both");
  req.detect = no_boxes && !req.whole_image;
  if (no_boxes) return req;
  if (!boxes->is_array()) throw Error("boxes", "expected an array of [xmin, ymin, xmax, ymax]");
  check_box_count(boxes->size(), "boxes");
  for (std::size_t i = 0; i < boxes->size(); ++i)
    req.boxes.push_back(parse_box((*boxes)[i], "boxes[" + std::to_string(i) + "]"));
  return req;
}

bool is_supported_image_type(const std::string& media_type) {
  return media_type == "image/jpeg" || media_type == "image/png";
}

cv::Mat decode_request_image(const FacesRequest& request) {
  if (request.image.empty()) throw Error(request.source, "empty image file");
  if (request.image.size() > kMaxImageBytes)
    throw ImageTooLarge(request.source, "image file over " + std::to_string(kMaxImageBytes) + " bytes");
  if (sniff_image_format(request.image) == ImageFormat::Unknown)
    throw UnsupportedImageType(request.source, "not a JPEG or PNG file; those are the formats maskwatch reads");
  return decode_image_rgb(request.image, request.source, {request.max_pixels, kMaxRequestSide, request.admit});
}

void mark_unsure(std::vector<Face>& faces, double min_confidence) {
  for (auto& p : faces) p.unsure = double(p.confidence) < min_confidence;
}

std::string answer_label(const Face& face, const std::vector<std::string>& labels) {
  return face.unsure ? kUnsureLabel : labels.at(static_cast<std::size_t>(face.label));
}

// Measured on the validation split's photos of one large face (docs/measurements.md).
const char* const kWholeImageRule = "face";

std::string check_whole_image_rule(const std::string& rule, const std::string& where) {
  for (const char* r : kWholeImageRules)
    if (rule == r) return rule;
  throw Error(where + " " + quote_text(rule), "expected auto, face, image or centre");
}

std::string applied_whole_image_rule(const std::string& rule, const std::string& where) {
  const std::string checked = check_whole_image_rule(rule, where);
  return checked == "auto" ? kWholeImageRule : checked;
}

namespace {

// The box whose crop region (box plus the model's margin) is `region`.
Box box_for_region(const Box& region, double margin) {
  const float k = static_cast<float>(1 + 2 * margin);
  const float cx = 0.5f * (region.xmin + region.xmax), cy = 0.5f * (region.ymin + region.ymax);
  const float hw = 0.5f * region.width() / k, hh = 0.5f * region.height() / k;
  return {cx - hw, cy - hh, cx + hw, cy + hh};
}

// A photo that is one face, framed by the request's rule.
Face classify_whole(const Classifier& classifier, const FaceDetector* detector, const FacesRequest& request,
                    const cv::Mat& rgb) {
  const std::string rule = applied_whole_image_rule(request.whole_image_rule, "whole_image_rule");
  const float w = static_cast<float>(rgb.cols), h = static_cast<float>(rgb.rows);
  const double margin = classifier.metadata().value("margin", 0.15);
  if (rule == "face") {
    if (!detector) throw Error(request.source, "the face framing of a whole image needs a face detector");
    const FaceBox* largest = nullptr;
    const auto found = detector->detect(rgb.ptr<std::uint8_t>(), rgb.cols, rgb.rows);
    for (const auto& f : found)
      if (!largest || f.box.width() * f.box.height() > largest->box.width() * largest->box.height()) largest = &f;
    if (largest) {
      auto p = classifier.classify_rgb(rgb.ptr<std::uint8_t>(), rgb.cols, rgb.rows, {largest->box}).at(0);
      p.face_score = largest->score;
      p.framing = "face";
      return p;
    }
  }
  Box region{0, 0, w, h};
  if (rule == "centre") {
    const float s = std::min(w, h);
    region = {0.5f * (w - s), 0.5f * (h - s), 0.5f * (w + s), 0.5f * (h + s)};
  }
  auto p = classifier.classify_rgb(rgb.ptr<std::uint8_t>(), rgb.cols, rgb.rows, {box_for_region(region, margin)}).at(0);
  p.box = region;
  p.framing = rule == "face" ? kNoFaceFraming : rule;
  return p;
}

}  // namespace

std::vector<Face> run_faces_request(const FaceLabeller& labeller, const FacesRequest& request, const cv::Mat& rgb) {
  const ImageView view{rgb.ptr<std::uint8_t>(), rgb.cols, rgb.rows, static_cast<std::ptrdiff_t>(rgb.step[0])};
  if (request.detect) {
    if (!labeller.impl().detector) throw Error(request.source, "no boxes given, and no face detector is loaded");
    return labeller.detect(view, {request.min_confidence, request.min_face});
  }
  if (!request.whole_image) return labeller.classify(view, request.boxes, {request.min_confidence});
  const auto& parts = labeller.impl();
  std::vector<Face> faces{classify_whole(parts.classifier, parts.detector ? &*parts.detector : nullptr, request, rgb)};
  mark_unsure(faces, request.min_confidence);
  return faces;
}

std::vector<Face> run_faces_request(const FaceLabeller& labeller, const FacesRequest& request) {
  return run_faces_request(labeller, request, decode_request_image(request));
}

json faces_json(const std::vector<Face>& faces, const std::vector<std::string>& labels) {
  json out = json::array();
  for (const auto& p : faces) {
    json scores = json::object();
    for (std::size_t k = 0; k < labels.size() && k < p.scores.size(); ++k) scores[labels[k]] = p.scores[k];
    json face = {{"box", {p.box.xmin, p.box.ymin, p.box.xmax, p.box.ymax}},
                 {"label", answer_label(p, labels)},
                 {"confidence", p.confidence},
                 {"face_score", p.face_score},
                 {"scores", scores}};
    if (p.unsure) face["guess"] = labels.at(static_cast<std::size_t>(p.label));
    if (!p.framing.empty()) face["framing"] = p.framing;
    out.push_back(std::move(face));
  }
  return out;
}

RequestError request_error(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const ImageTooLarge& e) {
    return {413, "too_large", e.what()};
  } catch (const Overloaded& e) {
    return {503, "overloaded", e.what()};
  } catch (const UnsupportedImageType& e) {
    return {415, "unsupported_type", e.what()};
  } catch (const Error& e) {
    return {400, "bad_request", e.what()};
  } catch (const json::exception& e) {
    return {400, "bad_request", std::string("malformed JSON: ") + e.what()};
  } catch (const cv::Exception& e) {
    return {400, "bad_request", "the image cannot be processed: " + e.msg};
  } catch (const std::bad_alloc&) {
    return {413, "too_large", "the request needs more memory than this server allows"};
  } catch (const std::exception& e) {
    return {500, "internal", e.what()};
  } catch (...) {
    return {500, "internal", "unknown failure"};
  }
}

json error_json(const RequestError& error) { return {{"error", {{"code", error.code}, {"message", error.message}}}}; }

}  // namespace mw
