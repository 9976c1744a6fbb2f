// Pascal VOC annotations: parsing (hostile documents refused) and box checks.
#pragma once
#include <string>
#include <vector>

#include "maskwatch.h"

namespace mw {

inline constexpr std::size_t kMaxAnnotationBytes = 1 << 20;  // real ones are ~2 KB
inline constexpr int kMaxObjectsPerImage = 10000;

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
