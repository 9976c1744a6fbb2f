// Standalone SVG charts: the frame every plot draws on (a chart in data
// coordinates, grid lines and labels), and a curve in the unit square (the
// risk-coverage curve, the detector's precision-recall curves).
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace mw {

inline constexpr int kSvgChartTop = 40;  // the pixel row where a chart's plot area starts

// A chart from (0, 0) to round values at or above (x_max, y_max): white
// ground, a title, grid lines with their labels, the axes' names. Elements are
// added in data coordinates mapped by x() and y(); svg() closes the document.
class SvgChart {
 public:
  // The y axis runs from y_min (0 unless given) to y_max, the x axis from 0 to x_max.
  SvgChart(const std::string& title, const std::string& x_name, const std::string& y_name, double x_max, double y_max,
           double y_min = 0);
  double x(double v) const;  // pixel column of a data value
  double y(double v) const;  // pixel row of a data value
  double x_max() const { return x_max_; }
  double y_max() const { return y_max_; }
  void add(const std::string& element) { body_ += element; }
  // A line through points given in data coordinates.
  std::string path(const std::vector<std::pair<double, double>>& points, const std::string& colour) const;
  // Text at a pixel position, in a colour.
  std::string text(double px, double py, const std::string& content, const std::string& colour) const;
  std::string svg() const { return body_ + "</svg>\n"; }

 private:
  double x_max_, y_max_, y_min_;
  std::string body_;
};

std::string svg_number(double v);                 // at most two decimals, as SVG attributes take it
std::string xml_escape(const std::string& text);  // for an SVG (XML) element or attribute

// A curve through (x, y) points with x and y in [0, 1] (coverage and
// accuracy), the marked points dotted with their values; axes named.
struct UnitCurve {
  std::string title, x_label, y_label;
  std::vector<std::pair<double, double>> points, marked;
};
std::string plot_unit_curve_svg(const UnitCurve& curve);

}  // namespace mw
