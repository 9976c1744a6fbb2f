#include "results/plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

namespace mw {

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
    chart.add(chart.text(chart.x(0) + 8, kSvgChartTop + 30, "green dots: faces found by the detector", kDetectColour));
  std::string newest;
  const auto pts = newest_run(records, newest);
  if (!newest.empty()) {
    std::vector<std::pair<double, double>> line;
    for (auto* r : pts) line.emplace_back(r->set_size, r->seconds);
    chart.add(chart.path(line, kLineColour));
    chart.add(chart.text(chart.x(0) + 8, kSvgChartTop + 14, "newest run " + newest + " (line); dots: every record",
                         kLineColour));
  }
  return chart.svg();
}

}  // namespace mw
