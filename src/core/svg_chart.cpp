#include "core/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

namespace mw {

namespace {

constexpr int kWidth = 640, kHeight = 400, kLeft = 64, kRight = 24, kTop = kSvgChartTop, kBottom = 56;
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
