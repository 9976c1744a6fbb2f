#include "results/plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

namespace mw {

namespace {

constexpr int kWidth = 640, kHeight = 400, kLeft = 64, kRight = 24, kTop = 40, kBottom = 56;
constexpr int kTicks = 5;
constexpr double kPlotWidth = kWidth - kLeft - kRight, kPlotHeight = kHeight - kTop - kBottom;

// A round step for about `ticks` axis labels up to `max`.
double nice_step(double max, int ticks) {
  const double raw = max / ticks, mag = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (raw <= m * mag) return m * mag;
  return 10 * mag;
}

}  // namespace

std::string svg_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", std::round(v * 100) / 100);
  return buf;
}

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

SvgChart::SvgChart(const std::string& title, const std::string& x_name, const std::string& y_name, double x_max,
                   double y_max, double y_min) {
  const double xstep = nice_step(x_max, kTicks), ystep = nice_step(y_max - y_min, kTicks);
  y_min_ = y_min;
  x_max_ = std::ceil(x_max / xstep) * xstep, y_max_ = y_min + std::ceil((y_max - y_min) / ystep) * ystep;
  const auto num = svg_number;
  std::string& s = body_;
  s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(kWidth) + "\" height=\"" +
      std::to_string(kHeight) + "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  s += "<text x=\"" + std::to_string(kWidth / 2) + "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">" +
       xml_escape(title) + "</text>\n";
  for (double v = 0; v <= x_max_ + 1e-9; v += xstep)
    s += "<line x1=\"" + num(x(v)) + "\" y1=\"" + num(y(y_min_)) + "\" x2=\"" + num(x(v)) + "\" y2=\"" +
         num(y(y_max_)) + "\" stroke=\"#e5e5e5\"/><text x=\"" + num(x(v)) + "\" y=\"" + num(y(y_min_) + 18) +
         "\" text-anchor=\"middle\">" + num(v) + "</text>\n";
  for (double v = y_min_; v <= y_max_ + 1e-9; v += ystep)
    s += "<line x1=\"" + num(x(0)) + "\" y1=\"" + num(y(v)) + "\" x2=\"" + num(x(x_max_)) + "\" y2=\"" + num(y(v)) +
         "\" stroke=\"#e5e5e5\"/><text x=\"" + num(x(0) - 8) + "\" y=\"" + num(y(v) + 4) + "\" text-anchor=\"end\">" +
         num(v) + "</text>\n";
  s += "<text x=\"" + num(kLeft + kPlotWidth / 2) + "\" y=\"" + std::to_string(kHeight - 12) +
       "\" text-anchor=\"middle\">" + xml_escape(x_name) + "</text>\n";
  s += "<text transform=\"translate(16," + num(kTop + kPlotHeight / 2) + ") rotate(-90)\" text-anchor=\"middle\">" +
       xml_escape(y_name) + "</text>\n";
}

double SvgChart::x(double v) const { return kLeft + kPlotWidth * v / x_max_; }
double SvgChart::y(double v) const { return kTop + kPlotHeight * (1 - (v - y_min_) / (y_max_ - y_min_)); }

std::string SvgChart::path(const std::vector<std::pair<double, double>>& points, const std::string& colour) const {
  std::string d;
  for (const auto& [px, py] : points) d += (d.empty() ? "M" : " L") + svg_number(x(px)) + " " + svg_number(y(py));
  return "<path d=\"" + d + "\" fill=\"none\" stroke=\"" + colour + "\" stroke-width=\"2\"/>\n";
}

std::string SvgChart::text(double px, double py, const std::string& content, const std::string& colour) const {
  return "<text x=\"" + svg_number(px) + "\" y=\"" + svg_number(py) + "\" fill=\"" + colour + "\">" +
         xml_escape(content) + "</text>\n";
}

namespace {

// The newest run's records, by set size.
std::vector<const BenchmarkRecord*> newest_run(const std::vector<BenchmarkRecord>& records, std::string& newest) {
  std::map<std::string, std::vector<const BenchmarkRecord*>> runs;
  for (const auto& r : records) {
    runs[r.run_id].push_back(&r);
    if (newest.empty() || r.started_at >= runs[newest].front()->started_at) newest = r.run_id;
  }
  auto pts = runs[newest];
  std::sort(pts.begin(), pts.end(), [](auto* a, auto* b) { return a->set_size < b->set_size; });
  return pts;
}

}  // namespace

std::string plot_seconds_vs_size_svg(const std::vector<BenchmarkRecord>& records) {
  constexpr const char* kLineColour = "#d04a4a";
  constexpr const char* kBoxesColour = "#4a7bd0";   // the annotated faces
  constexpr const char* kDetectColour = "#3a9a4a";  // detect-then-classify
  double max_size = 1, max_seconds = 0.001;
  for (const auto& r : records) {
    max_size = std::max(max_size, double(r.set_size));
    max_seconds = std::max(max_seconds, r.seconds);
  }
  SvgChart chart("maskwatch benchmark: seconds per set (" + std::to_string(records.size()) + " records)",
                 "images in the set", "seconds, model load included", max_size, max_seconds);
  const auto num = svg_number;
  bool detect = false;
  for (const auto& r : records) {
    detect = detect || r.mode == "detect";
    chart.add("<circle cx=\"" + num(chart.x(r.set_size)) + "\" cy=\"" + num(chart.y(r.seconds)) + "\" r=\"4\" fill=\"" +
              (r.mode == "detect" ? kDetectColour : kBoxesColour) + "\" fill-opacity=\"0.5\"><title>" +
              xml_escape(r.started_at) + " (" + xml_escape(r.mode) + "): " + std::to_string(r.objects) + " faces in " +
              num(r.seconds) + " s</title></circle>\n");
  }
  if (detect)
    chart.add(chart.text(chart.x(0) + 8, kTop + 30, "green dots: faces found by the detector", kDetectColour));
  std::string newest;
  const auto pts = newest_run(records, newest);
  if (!newest.empty()) {
    std::vector<std::pair<double, double>> line;
    for (auto* r : pts) line.emplace_back(r->set_size, r->seconds);
    chart.add(chart.path(line, kLineColour));
    chart.add(
        chart.text(chart.x(0) + 8, kTop + 14, "newest run " + newest + " (line); dots: every record", kLineColour));
  }
  return chart.svg();
}

namespace {
constexpr double kUnitLowest = 0.5;  // the y axis of a unit curve starts here unless a point is lower
constexpr double kUnitStep = 0.1;
}  // namespace

std::string plot_unit_curve_svg(const UnitCurve& c) {
  double ymin = kUnitLowest;
  for (const auto& p : c.points) ymin = std::min(ymin, std::floor(p.second / kUnitStep) * kUnitStep);
  SvgChart chart(c.title, c.x_label, c.y_label, 1, 1, ymin);
  if (!c.points.empty()) chart.add(chart.path(c.points, "#4a7bd0"));
  for (const auto& [x, y] : c.marked)
    chart.add("<circle cx=\"" + svg_number(chart.x(x)) + "\" cy=\"" + svg_number(chart.y(y)) +
              "\" r=\"4\" fill=\"#d04a4a\"><title>" + svg_number(x) + ": " + std::to_string(y) + "</title></circle>\n");
  return chart.svg();
}

}  // namespace mw
