// Pascal VOC annotations: parsing (hostile documents refused) and box checks.
#pragma once
#include <string>
#include <vector>

#include "maskwatch.h"

namespace mw {

inline constexpr std::size_t kMaxAnnotationBytes = 1 << 20;  // real ones are ~2 KB
inline constexpr int kMaxObjectsPerImage = 10000;
inline constexpr int kMaxVocImageSide = 100000;       // <size>/<width>, <height>: 1 to this
inline constexpr int kMaxVocDepth = 4;                // <size>/<depth>: 0 to this (channels)
inline constexpr double kMaxVocCoordinate = 1000000;  // box corners: within +- this, clipped to the image later

struct VocObject {
  std::string name;
  Box box;
  int line = 0;  // line of <object> in the file
};

struct VocAnnotation {
  std::string filename;
  int width = 0, height = 0, depth = 0;
  std::vector<VocObject> objects;
};

// Parses one annotation. Throws mw::Error("source:line", reason) when the XML
// is malformed, declares a DTD (external entities, entity bombs), or lacks the
// VOC fields (size/width, size/height, object/name, object/bndbox/{x,y}{min,max}).
// Numbers must be decimal (no hexadecimal, inf or nan) and within the ranges
// above, checked before any conversion to int.
VocAnnotation parse_voc(const std::string& xml, const std::string& source);

enum class BoxStatus { ok, clipped, empty, unknown_class };

struct CheckedBox {
  Box box;         // clipped to the image
  int label = -1;  // class index
  BoxStatus status = BoxStatus::ok;
  std::string reason;  // for empty / unknown_class
};

// The box clipped to a width x height image (it may end up with no area).
Box clip_box(const Box& box, int width, int height);

// Checks one object against the image size: known class, box clipped to the
// image, non-zero area after clipping.
CheckedBox check_object(const VocObject& obj, int width, int height);

}  // namespace mw
