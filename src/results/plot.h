// The benchmark history as a standalone SVG (core/svg_chart.h draws it).
#pragma once
#include <string>
#include <vector>

#include "core/svg_chart.h"
#include "results/results_table.h"

namespace mw {

// Seconds against set size: one dot per record, the newest run's points joined.
std::string plot_seconds_vs_size_svg(const std::vector<BenchmarkRecord>& records);

}  // namespace mw
