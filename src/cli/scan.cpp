// maskwatch scan: every photo under a folder or s3://bucket/prefix, labelled
// once into the photo table; resumable.
#include "jobs/scan.h"

#include <iostream>

#include "cli/cli.h"
#include "jobs/scan_on_aws.h"

namespace mw::cli {

namespace {
struct ScanArgs {
  std::string source, results, model = "latest";
  ScanOptions options;
  DetectionArgs detection;
  double max_megabytes = static_cast<double>(kMaxPhotoBytes >> 20);
  bool on_aws = false;
  AwsScanOptions aws;
};

// --on-aws: the state machine does the work; this follows it.
int run_on_aws(const Globals& g, ScanArgs& a) {
  a.aws.source = a.source;
  const AwsScanStatus s = scan_on_aws(a.aws, reporter(g));
  if (g.json)
    print_json(to_json(s));
  else if (!a.aws.wait)
    std::printf("started %s\n", s.execution_arn.c_str());
  else
    std::printf("%s: %s, %ld of %ld photos in succeeded batches, %ld in failed ones\n", s.execution_arn.c_str(),
                s.status.c_str(), s.succeeded, s.total, s.failed);
  if (!s.error.empty()) std::cerr << "error: " << s.error << ": " << s.cause << "\n";
  return s.status == "SUCCEEDED" || (!a.aws.wait && s.status == "RUNNING") ? 0 : 1;
}

void print_summary(const ScanSummary& s, const std::string& table) {
  std::printf("%ld objects: %ld new records (%ld labelled, %ld failed), %ld already recorded, %ld not photos",
              s.objects, s.labelled + s.failed, s.labelled, s.failed, s.recorded, s.not_photos);
  if (s.unreached) std::printf(", %ld not reached", s.unreached);
  std::printf("\n%.1f s, %.1f photos/s, into %s\n", s.seconds, s.photos_per_second(), table.c_str());
}
}  // namespace

Run add_scan(CLI::App& app, const Globals& g) {
  auto* c = app.add_subcommand("scan",
                               "label every photo under a folder or s3://bucket/prefix once, into the photo table "
                               "(resumable: photos already recorded at the same version are skipped)");
  auto a = std::make_shared<ScanArgs>();
  c->add_option("source", a->source, "a folder, file:///path or s3://bucket/prefix")->required();
  c->add_option(
       "--results", a->results,
       "photo table: sqlite:///path.db (table photos) or dynamodb://TABLE (default: sqlite://<store>/results.db)")
      ->envname("MASKWATCH_PHOTOS");
  c->add_option("--jsonl", a->options.jsonl, "also append each new record to this file, one JSON line each");
  c->add_option("--model", a->model, "classifier: model id or 'latest'")->capture_default_str();
  add_detection_options(*c, a->detection);
  c->add_option("--max-mb", a->max_megabytes, "photos larger than this are recorded as failed, unread")
      ->capture_default_str()
      ->check(at_least(0.001));
  c->add_flag("--on-aws", a->on_aws,
              "scan an s3:// prefix with the stack's Step Functions Distributed Map, through the Lambda function "
              "(deploy/README.md), and follow its progress");
  c->add_option("--state-machine", a->aws.state_machine, "--on-aws: the scan state machine's ARN")
      ->envname("MASKWATCH_SCAN_STATE_MACHINE");
  c->add_flag("--no-wait{false}", a->aws.wait, "--on-aws: start the scan and print its execution ARN");
  c->add_option("--poll", a->aws.poll_seconds, "--on-aws: seconds between progress reads")
      ->capture_default_str()
      ->check(at_least(0.05));
  return [&g, a] {
    if (a->on_aws) return run_on_aws(g, *a);
    require_store(g.store);
    LabellerParts parts = labeller_parts(g, a->model, a->detection);
    parts.threads = 1;  // one photo a worker, --threads workers
    const FaceLabeller labeller = open_labeller(parts);
    auto table = open_photo_table(a->results.empty() ? default_results_uri(g.store) : a->results);
    a->options.source = a->source;
    a->options.workers = g.threads;
    a->options.detect.min_face_size = a->detection.min_face;
    a->options.limits.max_bytes = static_cast<std::uint64_t>(a->max_megabytes * (1 << 20));
    const ScanSummary s = scan(labeller, *table, a->options, reporter(g));
    if (g.json)
      print_json(to_json(s));
    else
      print_summary(s, table->uri());
    if (s.unreached) std::cerr << s.unreached << " photos were not reached: run the same scan again to finish\n";
    return s.unreached ? 1 : 0;
  };
}

}  // namespace mw::cli
