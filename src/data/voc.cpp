#include "data/voc.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
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

bool is_space(char ch) { return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r'; }

bool is_digit(char ch) { return ch >= '0' && ch <= '9'; }

// Skips a run of digits from i; true when there was at least one.
bool skip_digits(const std::string& s, std::size_t& i) {
  std::size_t start = i;
  while (i < s.size() && is_digit(s[i])) ++i;
  return i > start;
}

// A decimal number: [+-] digits [. digits] [e [+-] digits], at least one digit
// before the exponent. No hexadecimal, inf or nan, which strtod would take.
bool is_decimal(const std::string& s) {
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  bool whole = skip_digits(s, i), fraction = false;
  if (i < s.size() && s[i] == '.') fraction = skip_digits(s, ++i);
  if (!whole && !fraction) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (!skip_digits(s, i)) return false;
  }
  return i == s.size();
}

std::string trimmed(const std::string& s) {
  std::size_t b = 0, e = s.size();
  while (b < e && is_space(s[b])) ++b;
  while (e > b && is_space(s[e - 1])) --e;
  return s.substr(b, e - b);
}

// The start of a field's text, for a message.
std::string excerpt(const std::string& s) {
  constexpr std::size_t kShown = 40;
  return s.size() <= kShown ? s : s.substr(0, kShown) + "...";
}

std::string shown(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

// The decimal number in <name> inside parent, within [lo, hi].
double number(const Ctx& c, const pugi::xml_node& parent, const char* name, double lo, double hi) {
  auto node = parent.child(name);
  if (!node) throw Error(c.at(parent), std::string("missing <") + name + "> in <" + parent.name() + ">");
  std::string raw = node.text().as_string(), s = trimmed(raw);
  if (!is_decimal(s))
    throw Error(c.at(node), std::string("<") + name + "> is not a decimal number: '" + excerpt(raw) + "'");
  double v = std::strtod(s.c_str(), nullptr);
  if (!(v >= lo && v <= hi))
    throw Error(c.at(node),
                std::string("<") + name + "> is " + excerpt(s) + "; expected " + shown(lo) + " to " + shown(hi));
  return v;
}

// A whole number within [lo, hi].
int whole_number(const Ctx& c, const pugi::xml_node& parent, const char* name, int lo, int hi) {
  double v = number(c, parent, name, lo, hi);
  if (v != std::floor(v))
    throw Error(c.at(parent.child(name)), std::string("<") + name + "> must be a whole number, got " + shown(v));
  return static_cast<int>(v);
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
  a.width = whole_number(c, size, "width", 1, kMaxVocImageSide);
  a.height = whole_number(c, size, "height", 1, kMaxVocImageSide);
  a.depth = size.child("depth") ? whole_number(c, size, "depth", 0, kMaxVocDepth) : 3;

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
    o.box.xmin = static_cast<float>(number(c, bb, "xmin", -kMaxVocCoordinate, kMaxVocCoordinate));
    o.box.ymin = static_cast<float>(number(c, bb, "ymin", -kMaxVocCoordinate, kMaxVocCoordinate));
    o.box.xmax = static_cast<float>(number(c, bb, "xmax", -kMaxVocCoordinate, kMaxVocCoordinate));
    o.box.ymax = static_cast<float>(number(c, bb, "ymax", -kMaxVocCoordinate, kMaxVocCoordinate));
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
