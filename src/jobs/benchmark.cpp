// The benchmark job (the report's Lambda function): for each set size, a
// seeded random set of images; load the model, read, decode, crop, classify,
// score; one results-table record per set.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <thread>

#include "core/parallel.h"
#include "core/paths.h"
#include "core/rng.h"
#include "data/dataset.h"
#include "data/split.h"
#include "results/results_table.h"
#include "store/object_store.h"

namespace mw {

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

std::string run_id_now() {
  Rng rng(static_cast<std::uint64_t>(Clock::now().time_since_epoch().count()) ^ static_cast<std::uint64_t>(getpid()));
  static const char* hex = "0123456789abcdef";
  std::string id;
  for (int i = 0; i < 8; ++i) id.push_back(hex[rng.below(16)]);
  return id;
}

// The first n images of a seeded shuffle: the same set for the same seed and size.
std::vector<std::size_t> pick_images(std::size_t total, int n, std::uint64_t seed) {
  std::vector<std::size_t> order(total);
  for (std::size_t i = 0; i < total; ++i) order[i] = i;
  auto rng = Rng::derive(seed, static_cast<std::uint64_t>(n));
  for (std::size_t i = total; i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);
  order.resize(std::min<std::size_t>(total, static_cast<std::size_t>(n)));
  return order;
}

struct ImageWork {
  std::vector<std::uint8_t> crops;
  bool rejected = false;
  std::string error;
};

}  // namespace

std::string default_results_uri(const std::string& store) {
  if (auto dir = local_store_dir(store)) return "sqlite://" + *dir + "/results.db";
  return "sqlite://maskwatch-results.db";
}

json benchmark(const BenchmarkOptions& opt, const Reporter& rep) {
  if (opt.sizes.empty()) throw Error("benchmark --sizes", "give at least one set size");
  for (int n : opt.sizes)
    if (n <= 0) throw Error("benchmark --sizes", "set sizes must be positive, got " + std::to_string(n));
  const int threads =
      opt.threads > 0 ? opt.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  // --no-record measures only: no table is opened (or created).
  std::unique_ptr<ResultsTable> table;
  if (opt.record) table = open_results(opt.results.empty() ? default_results_uri(opt.store) : opt.results);
  const std::string run_id = run_id_now(), started_at = utc_now_iso(), host = host_name();

  json out = {{"run_id", run_id},
              {"started_at", started_at},
              {"results", table ? json(table->uri()) : json(nullptr)},
              {"sets", json::array()}};
  for (int n : opt.sizes) {
    const auto t0 = Clock::now();
    json timing;
    // Everything a cold function does: open the store, read the index and split, load the model.
    auto store = open_store(opt.store);
    auto index = load_index(*store);
    auto manifest = SplitManifest::from_json(json::parse(store->get(kManifestKey)));
    Classifier clf(opt.model_store.empty() ? opt.store : opt.model_store, opt.model, threads);
    timing["load_s"] = since(t0);

    const auto picked = pick_images(index.images.size(), n, opt.seed);
    const auto t1 = Clock::now();
    std::vector<ImageWork> work(picked.size());
    parallel_for(static_cast<std::int64_t>(picked.size()), threads, [&](std::int64_t i) {
      const auto& rec = index.images[picked[i]];
      // Outside the try: a file that is not what the index says stops the job.
      const auto bytes = read_verified(*store, rec.image);
      try {
        auto rgb = decode_rgb(bytes, store->uri() + "/" + rec.image.key);
        work[i].crops = clf.crop_faces(rgb.ptr<std::uint8_t>(), rgb.cols, rgb.rows, rec.boxes);
      } catch (const std::exception& e) {  // counted and reported; the rest of the set goes on
        work[i].rejected = true;
        work[i].error = e.what();
      }
    });
    timing["read_decode_crop_s"] = since(t1);

    // One batch for the whole set: the engine shares it out over the threads.
    std::vector<std::uint8_t> crops;
    std::vector<Box> boxes;
    std::vector<int> labels;
    std::vector<bool> heldout;
    BenchmarkRecord r;
    json rejects = json::array();
    for (std::size_t i = 0; i < picked.size(); ++i) {
      const auto& rec = index.images[picked[i]];
      if (work[i].rejected) {
        ++r.rejects;
        rejects.push_back({{"image", rec.image.key}, {"error", work[i].error}});
        continue;
      }
      ++r.images;
      crops.insert(crops.end(), work[i].crops.begin(), work[i].crops.end());
      boxes.insert(boxes.end(), rec.boxes.begin(), rec.boxes.end());
      labels.insert(labels.end(), rec.labels.begin(), rec.labels.end());
      heldout.insert(heldout.end(), rec.boxes.size(), manifest.split_of(rec.stem) == 2);
    }
    const auto t2 = Clock::now();
    auto preds = clf.classify_crops(crops, boxes);
    timing["inference_s"] = since(t2);

    int correct = 0, heldout_correct = 0;
    for (std::size_t i = 0; i < preds.size(); ++i) {
      const bool ok = preds[i].label == labels[i];
      correct += ok;
      if (heldout[i]) {
        ++r.heldout_objects;
        heldout_correct += ok;
      }
    }
    r.seconds = since(t0);
    r.run_id = run_id;
    r.started_at = started_at;
    r.set_size = n;
    r.objects = static_cast<int>(preds.size());
    r.accuracy = preds.empty() ? std::nan("") : double(correct) / double(preds.size());
    r.heldout_accuracy =
        r.heldout_objects ? double(heldout_correct) / r.heldout_objects : std::nan("");  // none: unknown, not 0
    r.throughput = r.seconds > 0 ? r.objects / r.seconds : 0;
    r.model_id = clf.metadata().value("id", opt.model);
    r.threads = threads;
    r.host = host;
    if (table) table->put(r);

    json set = to_json(r);
    set["engine"] = clf.engine();
    set["rejected"] = rejects;
    set["timing"] = timing;
    out["sets"].push_back(set);
    char line[256];
    std::snprintf(line, sizeof line,
                  "set %4d: %4d images, %5d faces in %6.2f s (%6.0f faces/s), accuracy %.3f, held-out %.3f (%d faces)",
                  n, r.images, r.objects, r.seconds, r.throughput, r.accuracy, r.heldout_accuracy, r.heldout_objects);
    rep.say(line);
  }
  if (opt.record) {
    std::string stamp = started_at;
    stamp.erase(std::remove(stamp.begin(), stamp.end(), ':'), stamp.end());
    const std::string key = "reports/benchmark-" + stamp + "-" + run_id + ".json";
    open_store(opt.store)->put(key, out.dump(2));
    out["report"] = key;
  }
  return out;
}

}  // namespace mw
