#include "jobs/scan.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

namespace mw {

namespace {

using Clock = std::chrono::steady_clock;

// "scan (12.3 photos/s, 4m05s left)"
std::string progress_text(long done, long total, Clock::time_point start) {
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const double rate = seconds > 0 ? done / seconds : 0;
  char text[96];
  if (rate <= 0) return "scan";
  const long left = static_cast<long>((total - done) / rate);
  std::snprintf(text, sizeof text, "scan (%.1f photos/s, %ldm%02lds left)", rate, left / 60, left % 60);
  return text;
}

class RecordLog {
 public:
  explicit RecordLog(const std::string& path) {
    if (path.empty()) return;
    out_.open(path, std::ios::app);
    if (!out_) throw Error(path, "cannot open for appending");
  }
  void write(const PhotoRecord& r) {
    if (!out_.is_open()) return;
    std::lock_guard<std::mutex> lock(mutex_);
    out_ << to_json(r).dump() << "\n";
    out_.flush();
  }

 private:
  std::ofstream out_;
  std::mutex mutex_;
};

}  // namespace

ScanSummary scan(const FaceLabeller& labeller, PhotoTable& table, const ScanOptions& options,
                 const Reporter& reporter) {
  const auto start = Clock::now();
  if (auto dir = local_store_dir(options.source); dir && !std::filesystem::is_directory(*dir))
    throw Error(options.source, "no such folder");
  auto store = open_store(options.source);
  std::vector<ObjectInfo> photos;
  ScanSummary s;
  for (auto& o : store->list("")) {
    ++s.objects;
    if (has_photo_extension(o.key))
      photos.push_back(std::move(o));
    else
      ++s.not_photos;
  }
  reporter.say("scan: " + std::to_string(photos.size()) + " photos under " + store->uri() + " into " + table.uri());
  RecordLog log(options.jsonl);
  std::atomic<std::size_t> next{0};
  std::atomic<long> done{0}, recorded{0}, labelled{0}, failed{0}, unreached{0};
  std::mutex report_mutex;
  auto work = [&] {
    for (std::size_t i; (i = next++) < photos.size();) {
      const ObjectInfo& o = photos[i];
      try {
        if (table.contains(object_uri(*store, o.key), o.etag)) {
          ++recorded;
        } else {
          const PhotoRecord r = label_object(labeller, *store, o, options.limits, options.detect);
          if (table.put(r)) {
            ++(r.failed() ? failed : labelled);
            log.write(r);
          } else {
            ++recorded;
          }
        }
      } catch (const std::exception& e) {
        ++unreached;
        std::lock_guard<std::mutex> lock(report_mutex);
        reporter.say("scan: " + o.key + ": " + e.what());
      }
      const long n = ++done;
      std::lock_guard<std::mutex> lock(report_mutex);
      reporter.tick(progress_text(n, static_cast<long>(photos.size()), start), n, static_cast<long>(photos.size()));
    }
  };
  const int workers = options.workers > 0 ? options.workers : std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> threads;
  for (int w = 1; w < workers; ++w) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();
  s.recorded = recorded, s.labelled = labelled, s.failed = failed, s.unreached = unreached;
  s.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return s;
}

json to_json(const ScanSummary& s) {
  return {{"objects", s.objects},   {"not_photos", s.not_photos}, {"recorded", s.recorded},
          {"labelled", s.labelled}, {"failed", s.failed},         {"unreached", s.unreached},
          {"seconds", s.seconds},   {"photos_per_second", s.photos_per_second()}};
}

}  // namespace mw
