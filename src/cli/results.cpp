// maskwatch results: the benchmark history, as a table, JSON or a plot; with
// --photos, the per-photo records.
#include <filesystem>
#include <iostream>
#include <optional>

#include "cli/cli.h"
#include "core/paths.h"
#include "results/photo_table.h"
#include "results/plot.h"
#include "results/results_table.h"

namespace fs = std::filesystem;

namespace mw::cli {

namespace {
struct ResultsArgs {
  std::string uri, plot;
  int size = 0;
  bool photos = false;
  PhotoQuery query;
};

void print_photos(const std::vector<PhotoRecord>& records) {
  for (const auto& r : records) {
    std::string counts;
    for (const auto& [label, n] : r.counts()) counts += (counts.empty() ? "" : " ") + label + "=" + std::to_string(n);
    if (r.failed())
      std::printf("  %s  failed: %s\n", r.uri.c_str(), r.error.c_str());
    else
      std::printf("  %s  %dx%d  %zu face%s%s%s  %.0f ms\n", r.uri.c_str(), r.width, r.height, r.faces.size(),
                  r.faces.size() == 1 ? "" : "s", counts.empty() ? "" : ": ", counts.c_str(), r.milliseconds);
  }
}

// results --photos: the photo table's records (those matching the query), and a summary line.
int run_photos(const ResultsArgs& a, const std::string& uri, bool as_json) {
  auto table = open_photo_table(uri);
  const auto records = table->list(a.query);
  const PhotoSummary s = summarize(records);
  if (as_json) {
    json out = json::array();
    for (const auto& r : records) out.push_back(to_json(r));
    print_json(out);
  } else {
    print_photos(records);
    std::cout << summary_line(s) << " in " << table->uri() << "\n";
  }
  return 0;
}

void print_records(const std::vector<BenchmarkRecord>& records, const std::string& uri) {
  std::cout << records.size() << " record" << (records.size() == 1 ? "" : "s") << " in " << uri << "\n";
  if (records.empty()) return;
  std::cout << "  started_at            run       set  mode    images  faces  seconds  faces/s  accuracy  held-out  "
               "mAP@0.5  model             threads  host\n";
  for (const auto& r : records) {
    char line[320];
    std::snprintf(
        line, sizeof line, "  %-20s  %-8s  %4d  %-6s  %6d  %5d  %7.2f  %7.0f  %8.3f  %8.3f  %7.3f  %-16s  %7d  %s\n",
        r.started_at.c_str(), r.run_id.c_str(), r.set_size, r.mode.c_str(), r.images, r.objects, r.seconds,
        r.throughput, r.accuracy, r.heldout_accuracy, r.map_50, r.model_id.c_str(), r.threads, r.host.c_str());
    std::cout << line;
  }
}
}  // namespace

Run add_results(CLI::App& app, const Globals& g) {
  auto* c = app.add_subcommand("results", "the benchmark history, oldest first");
  auto a = std::make_shared<ResultsArgs>();
  add_results_option(*c, a->uri);
  c->add_option("--size", a->size, "only sets of this many images");
  c->add_option("--plot", a->plot, "also write seconds against set size as an SVG file");
  c->add_flag("--photos", a->photos, "the photo records of scan and upload events instead of the benchmark history");
  c->add_option("--label", a->query.label, "--photos: only photos with a face of this label (e.g. without_mask)");
  c->add_option("--since", a->query.since,
                "--photos: only records made at or after this UTC time (2026-12-07T18:00:00Z)");
  c->add_flag("--failed", a->query.failed, "--photos: only photos that could not be labelled");
  return [&g, a] {
    const std::string uri = a->uri.empty() ? default_results_uri(g.store) : a->uri;
    // Reading must not create: a mistyped path would otherwise show an empty, new table.
    const std::string sqlite_scheme = "sqlite://";
    if (uri.rfind(sqlite_scheme, 0) == 0 && !fs::exists(uri.substr(sqlite_scheme.size())))
      throw Error(uri, a->photos ? "no results table here yet: run 'maskwatch scan' first"
                                 : "no results table here yet: run 'maskwatch benchmark' first");
    if (a->photos) return run_photos(*a, uri, g.json);
    auto table = open_results(uri);
    auto records = table->history(a->size > 0 ? std::optional<int>(a->size) : std::nullopt);
    if (!a->plot.empty()) {
      write_file_atomic(a->plot, plot_seconds_vs_size_svg(records));
      if (!g.quiet) std::cerr << "wrote " << a->plot << "\n";
    }
    if (!g.json) return print_records(records, table->uri()), 0;
    json out = json::array();
    for (const auto& r : records) out.push_back(to_json(r));
    print_json(out);
    return 0;
  };
}

}  // namespace mw::cli
