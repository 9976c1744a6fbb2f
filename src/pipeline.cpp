#include <chrono>

#include "detect/evaluate_detect.h"
#include "detect/train_detector.h"
#include "maskwatch.h"
#include "store/object_store.h"

namespace mw {

json pipeline(const PipelineOptions& opt, const Reporter& rep) {
  using clock = std::chrono::steady_clock;
  auto secs = [](clock::time_point a) { return std::chrono::duration<double>(clock::now() - a).count(); };
  json report;
  auto t = clock::now();
  IngestOptions in = opt.ingest;
  in.data_dir = resolve_data_dir(in.data_dir);
  rep.say("== ingest " + in.data_dir);
  report["ingest"] = ingest(in, rep);
  report["ingest"].erase("rejects");
  report["ingest"]["seconds"] = secs(t);

  t = clock::now();
  rep.say("== prepare");
  report["prepare"] = prepare(opt.prepare, rep);
  report["prepare"]["seconds"] = secs(t);

  t = clock::now();
  rep.say("== train");
  auto model = train(opt.train, rep);
  report["train"] = {{"model", model.at("id")},
                     {"best_epoch", model.at("best_epoch")},
                     {"metrics", model.at("metrics")},
                     {"seconds", secs(t)}};

  t = clock::now();
  rep.say("== evaluate (test split)");
  EvaluateOptions ev;
  ev.store = opt.train.store;
  ev.model = model.at("id");
  ev.threads = opt.train.threads;
  report["evaluate"] = evaluate(ev, rep);
  report["evaluate"]["seconds"] = secs(t);

  std::string detector_id;
  if (opt.detector.epochs > 0) {
    t = clock::now();
    rep.say("== train-detector");
    DetectorTrainOptions dt = opt.detector;
    dt.store = opt.train.store;
    dt.seed = opt.train.seed;
    dt.threads = opt.train.threads;
    const json det = train_detector(dt, rep);
    detector_id = det.at("id");
    report["train_detector"] = {
        {"detector", detector_id}, {"best_epoch", det.at("best_epoch")}, {"val", det.at("val")}, {"seconds", secs(t)}};

    t = clock::now();
    rep.say("== evaluate --detect (test split)");
    DetectEvaluateOptions de;
    de.store = opt.train.store;
    de.model = model.at("id");
    de.detector_id = detector_id;
    de.threads = opt.train.threads;
    report["evaluate_detect"] = evaluate_detection(de, rep);
    report["evaluate_detect"]["seconds"] = secs(t);
  }

  // The scheduled job's first records: sets of images through the new model,
  // into the results table; with a new detector, detect-then-classify too.
  rep.say("== benchmark");
  BenchmarkOptions bo = opt.benchmark;
  bo.store = opt.train.store;
  bo.model = model.at("id");
  bo.threads = opt.train.threads;
  report["benchmark"] = benchmark(bo, rep);
  if (!detector_id.empty()) {
    rep.say("== benchmark --detect");
    bo.detect = true;
    bo.detector = detector_id;
    report["benchmark_detect"] = benchmark(bo, rep);
  }
  auto store = open_store(opt.train.store);
  store->put("reports/pipeline-" + model.at("id").get<std::string>() + ".json", report.dump(2));
  return report;
}

}  // namespace mw
