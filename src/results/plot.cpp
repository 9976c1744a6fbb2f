#include "results/plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

namespace mw {

namespace {

constexpr int kWidth = 640, kHeight = 400, kLeft = 64, kRight = 24, kTop = 40, kBottom = 56;

// A round step for about `ticks` axis labels up to `max`.
double nice_step(double max, int ticks) {
  const double raw = max / ticks, mag = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (raw <= m * mag) return m * mag;
  return 10 * mag;
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", std::round(v * 100) / 100);
  return buf;
}

// Text for an SVG (XML) element or attribute.
std::string xml_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  return out;
}

std::string svg_open(const std::string& title) {
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(kWidth) + "\" height=\"" +
         std::to_string(kHeight) + "\" font-family=\"sans-serif\" font-size=\"12\">\n" +
         "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n<text x=\"" + std::to_string(kWidth / 2) +
         "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">" + xml_escape(title) + "</text>\n";
}

}  // namespace

std::string plot_seconds_vs_size_svg(const std::vector<BenchmarkRecord>& records) {
  double max_size = 1, max_seconds = 0.001;
  for (const auto& r : records) {
    max_size = std::max(max_size, double(r.set_size));
    max_seconds = std::max(max_seconds, r.seconds);
  }
  const double xstep = nice_step(max_size, 5), ystep = nice_step(max_seconds, 5);
  const double xmax = std::ceil(max_size / xstep) * xstep, ymax = std::ceil(max_seconds / ystep) * ystep;
  const double pw = kWidth - kLeft - kRight, ph = kHeight - kTop - kBottom;
  auto X = [&](double v) { return kLeft + pw * v / xmax; };
  auto Y = [&](double v) { return kTop + ph * (1 - v / ymax); };

  std::string s = svg_open("maskwatch benchmark: seconds per set (" + std::to_string(records.size()) + " records)");
  for (double v = 0; v <= xmax + 1e-9; v += xstep)
    s += "<line x1=\"" + num(X(v)) + "\" y1=\"" + num(Y(0)) + "\" x2=\"" + num(X(v)) + "\" y2=\"" + num(Y(ymax)) +
         "\" stroke=\"#e5e5e5\"/><text x=\"" + num(X(v)) + "\" y=\"" + num(Y(0) + 18) + "\" text-anchor=\"middle\">" +
         num(v) + "</text>\n";
  for (double v = 0; v <= ymax + 1e-9; v += ystep)
    s += "<line x1=\"" + num(X(0)) + "\" y1=\"" + num(Y(v)) + "\" x2=\"" + num(X(xmax)) + "\" y2=\"" + num(Y(v)) +
         "\" stroke=\"#e5e5e5\"/><text x=\"" + num(X(0) - 8) + "\" y=\"" + num(Y(v) + 4) + "\" text-anchor=\"end\">" +
         num(v) + "</text>\n";
  s += "<text x=\"" + num(kLeft + pw / 2) + "\" y=\"" + std::to_string(kHeight - 12) +
       "\" text-anchor=\"middle\">images in the set</text>\n";
  s += "<text transform=\"translate(16," + num(kTop + ph / 2) +
       ") rotate(-90)\" text-anchor=\"middle\">seconds, model load included</text>\n";
  std::map<std::string, std::vector<const BenchmarkRecord*>> runs;
  std::string newest;
  for (const auto& r : records) {
    runs[r.run_id].push_back(&r);
    if (newest.empty() || r.started_at >= runs[newest].front()->started_at) newest = r.run_id;
  }
  for (const auto& r : records)
    s += "<circle cx=\"" + num(X(r.set_size)) + "\" cy=\"" + num(Y(r.seconds)) +
         "\" r=\"4\" fill=\"#4a7bd0\" fill-opacity=\"0.5\"><title>" + xml_escape(r.started_at) + ": " +
         std::to_string(r.objects) + " faces in " + num(r.seconds) + " s</title></circle>\n";
  if (!newest.empty()) {
    auto pts = runs[newest];
    std::sort(pts.begin(), pts.end(), [](auto* a, auto* b) { return a->set_size < b->set_size; });
    std::string path;
    for (auto* r : pts) path += (path.empty() ? "M" : " L") + num(X(r->set_size)) + " " + num(Y(r->seconds));
    s += "<path d=\"" + path + "\" fill=\"none\" stroke=\"#d04a4a\" stroke-width=\"2\"/>\n";
    s += "<text x=\"" + num(X(0) + 8) + "\" y=\"" + num(kTop + 14) + "\" fill=\"#d04a4a\">newest run " +
         xml_escape(newest) + " (line); dots: every record</text>\n";
  }
  s += "</svg>\n";
  return s;
}

namespace {
constexpr double kUnitLowest = 0.5;  // the y axis of a unit curve starts here unless a point is lower
constexpr double kUnitStep = 0.1;
}  // namespace

std::string plot_unit_curve_svg(const UnitCurve& c) {
  double ymin = kUnitLowest;
  for (const auto& p : c.points) ymin = std::min(ymin, std::floor(p.second / kUnitStep) * kUnitStep);
  const double pw = kWidth - kLeft - kRight, ph = kHeight - kTop - kBottom;
  auto X = [&](double v) { return kLeft + pw * v; };
  auto Y = [&](double v) { return kTop + ph * (1 - (v - ymin) / (1 - ymin)); };
  std::string s = svg_open(c.title);
  for (double v = 0; v <= 1 + 1e-9; v += kUnitStep)
    s += "<line x1=\"" + num(X(v)) + "\" y1=\"" + num(Y(ymin)) + "\" x2=\"" + num(X(v)) + "\" y2=\"" + num(Y(1)) +
         "\" stroke=\"#e5e5e5\"/><text x=\"" + num(X(v)) + "\" y=\"" + num(Y(ymin) + 18) +
         "\" text-anchor=\"middle\">" + num(v) + "</text>\n";
  for (double v = ymin; v <= 1 + 1e-9; v += kUnitStep / 2)
    s += "<line x1=\"" + num(X(0)) + "\" y1=\"" + num(Y(v)) + "\" x2=\"" + num(X(1)) + "\" y2=\"" + num(Y(v)) +
         "\" stroke=\"#e5e5e5\"/><text x=\"" + num(X(0) - 8) + "\" y=\"" + num(Y(v) + 4) + "\" text-anchor=\"end\">" +
         num(v) + "</text>\n";
  s += "<text x=\"" + num(kLeft + pw / 2) + "\" y=\"" + std::to_string(kHeight - 12) + "\" text-anchor=\"middle\">" +
       xml_escape(c.x_label) + "</text>\n";
  s += "<text transform=\"translate(16," + num(kTop + ph / 2) + ") rotate(-90)\" text-anchor=\"middle\">" +
       xml_escape(c.y_label) + "</text>\n";
  std::string path;
  for (const auto& [x, y] : c.points) path += (path.empty() ? "M" : " L") + num(X(x)) + " " + num(Y(y));
  if (!path.empty()) s += "<path d=\"" + path + "\" fill=\"none\" stroke=\"#4a7bd0\" stroke-width=\"2\"/>\n";
  for (const auto& [x, y] : c.marked)
    s += "<circle cx=\"" + num(X(x)) + "\" cy=\"" + num(Y(y)) + "\" r=\"4\" fill=\"#d04a4a\"><title>" + num(x) + ": " +
         std::to_string(y) + "</title></circle>\n";
  s += "</svg>\n";
  return s;
}

}  // namespace mw
