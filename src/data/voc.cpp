#include "data/voc.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <pugixml.hpp>

#include "core/paths.h"

namespace mw {

namespace {

int line_of(const std::string& text, std::ptrdiff_t offset) {
  if (offset < 0) return 0;
  auto end = text.begin() + std::min<std::ptrdiff_t>(offset, static_cast<std::ptrdiff_t>(text.size()));
  return 1 + static_cast<int>(std::count(text.begin(), end, '\n'));
}

struct Ctx {
  const std::string& text;
  const std::string& source;
  std::string at(const pugi::xml_node& n) const {
    return source + ":" + std::to_string(line_of(text, n.offset_debug()));
  }
};

double number(const Ctx& c, const pugi::xml_node& parent, const char* name) {
  auto node = parent.child(name);
  if (!node) throw Error(c.at(parent), std::string("missing <") + name + "> in <" + parent.name() + ">");
  std::string s = node.text().as_string();
  const char* begin = s.c_str();
  while (*begin == ' ' || *begin == '\t' || *begin == '\n' || *begin == '\r') ++begin;
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(begin, &end);
  while (end && (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r')) ++end;
  if (end == begin || *end != '\0' || errno == ERANGE || !std::isfinite(v))
    throw Error(c.at(node), std::string("<") + name + "> is not a number: '" + s + "'");
  return v;
}

}  // namespace

VocAnnotation parse_voc(const std::string& xml, const std::string& source) {
  if (xml.size() > kMaxAnnotationBytes)
    throw Error(source, "annotation is " + std::to_string(xml.size()) + " bytes, over the limit of " +
                            std::to_string(kMaxAnnotationBytes));
  pugi::xml_document doc;
  // parse_doctype keeps a DOCTYPE as a node so that it can be refused below;
  // pugixml never resolves entities beyond the five predefined ones.
  auto res = doc.load_buffer(xml.data(), xml.size(), pugi::parse_default | pugi::parse_doctype);
  if (!res)
    throw Error(source + ":" + std::to_string(line_of(xml, res.offset)),
                std::string("malformed XML: ") + res.description());
  for (auto n : doc.children())
    if (n.type() == pugi::node_doctype)
      throw Error(source + ":" + std::to_string(line_of(xml, n.offset_debug())),
                  "a DOCTYPE/DTD is not allowed in an annotation (entities are refused)");

  Ctx c{xml, source};
  auto root = doc.child("annotation");
  if (!root) throw Error(source, "not a Pascal VOC annotation: no <annotation> root element");
  VocAnnotation a;
  a.filename = root.child("filename").text().as_string();
  auto size = root.child("size");
  if (!size) throw Error(c.at(root), "missing <size>");
  double w = number(c, size, "width"), h = number(c, size, "height");
  if (w < 1 || h < 1 || w > 1e5 || h > 1e5 || w != std::floor(w) || h != std::floor(h))
    throw Error(c.at(size),
                "image size must be whole pixels in 1..100000, got " + std::to_string(w) + "x" + std::to_string(h));
  a.width = static_cast<int>(w);
  a.height = static_cast<int>(h);
  a.depth = size.child("depth") ? static_cast<int>(number(c, size, "depth")) : 3;

  for (auto obj : root.children("object")) {
    if (static_cast<int>(a.objects.size()) >= kMaxObjectsPerImage)
      throw Error(c.at(obj), "more than " + std::to_string(kMaxObjectsPerImage) + " objects");
    VocObject o;
    o.line = line_of(xml, obj.offset_debug());
    auto name = obj.child("name");
    if (!name) throw Error(c.at(obj), "missing <name> in <object>");
    o.name = name.text().as_string();
    auto bb = obj.child("bndbox");
    if (!bb) throw Error(c.at(obj), "missing <bndbox> in <object>");
    o.box.xmin = static_cast<float>(number(c, bb, "xmin"));
    o.box.ymin = static_cast<float>(number(c, bb, "ymin"));
    o.box.xmax = static_cast<float>(number(c, bb, "xmax"));
    o.box.ymax = static_cast<float>(number(c, bb, "ymax"));
    a.objects.push_back(std::move(o));
  }
  return a;
}

Box clip_box(const Box& b, int width, int height) {
  return {std::clamp(b.xmin, 0.f, float(width)), std::clamp(b.ymin, 0.f, float(height)),
          std::clamp(b.xmax, 0.f, float(width)), std::clamp(b.ymax, 0.f, float(height))};
}

CheckedBox check_object(const VocObject& obj, int width, int height) {
  CheckedBox r;
  r.label = class_index(obj.name);
  if (r.label < 0) {
    r.status = BoxStatus::unknown_class;
    r.reason = "unknown class '" + obj.name + "'";
    return r;
  }
  const Box& b = obj.box;
  r.box = clip_box(b, width, height);
  if (r.box.width() <= 0 || r.box.height() <= 0) {
    r.status = BoxStatus::empty;
    r.reason = "box (" + std::to_string(int(b.xmin)) + "," + std::to_string(int(b.ymin)) + ")-(" +
               std::to_string(int(b.xmax)) + "," + std::to_string(int(b.ymax)) + ") has no area inside the " +
               std::to_string(width) + "x" + std::to_string(height) + " image";
    return r;
  }
  bool changed = r.box.xmin != b.xmin || r.box.ymin != b.ymin || r.box.xmax != b.xmax || r.box.ymax != b.ymax;
  r.status = changed ? BoxStatus::clipped : BoxStatus::ok;
  return r;
}

std::vector<Box> read_voc_boxes(const std::string& xml_path) {
  auto a = parse_voc(read_file(xml_path, kMaxAnnotationBytes), xml_path);
  std::vector<Box> boxes;
  for (const auto& o : a.objects) {  // labels are ignored here
    Box b = clip_box(o.box, a.width, a.height);
    if (b.width() > 0 && b.height() > 0) boxes.push_back(b);
  }
  return boxes;
}

}  // namespace mw
