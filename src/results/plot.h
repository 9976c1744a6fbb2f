// Plots of the benchmark history, as standalone SVG.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "results/results_table.h"

namespace mw {

// Seconds against set size: one dot per record, the newest run's points joined.
std::string plot_seconds_vs_size_svg(const std::vector<BenchmarkRecord>& records);

// A curve through (x, y) points with x and y in [0, 1] (coverage and
// accuracy), the marked points dotted with their values; axes named.
struct UnitCurve {
  std::string title, x_label, y_label;
  std::vector<std::pair<double, double>> points, marked;
};
std::string plot_unit_curve_svg(const UnitCurve& curve);

}  // namespace mw
