#include "jobs/scan_on_aws.h"

#include <chrono>
#include <thread>

#include "aws/json_client.h"
#include "store/s3_store.h"

namespace mw {

namespace {

const aws::JsonService kStepFunctions{"sfn", "states", "states", "AWSStepFunctions"};

// s3://bucket/prefix -> where to scan.
S3Location scan_location(const std::string& uri) {
  if (uri.rfind("s3://", 0) != 0) throw Error(uri, "--on-aws scans an s3://bucket/prefix");
  return parse_s3_uri(uri);
}

// arn:aws:states:REGION:ACCOUNT:stateMachine:NAME -> REGION ("" when the ARN has none).
std::string region_of(const std::string& arn) {
  std::size_t at = 0;
  for (int field = 0; field < 3 && at != std::string::npos; ++field) at = arn.find(':', at + 1);
  if (at == std::string::npos) return "";
  return arn.substr(at + 1, arn.find(':', at + 1) - at - 1);
}

long count_of(const json& counts, const char* name) {
  auto it = counts.find(name);
  return it != counts.end() && it->is_number() ? it->get<long>() : 0;
}

void read_map_run(const aws::JsonClient& sfn, AwsScanStatus& s) {
  const json runs = sfn.call("ListMapRuns", {{"executionArn", s.execution_arn}});
  if (!runs.contains("mapRuns") || runs["mapRuns"].empty()) return;  // the map has not started yet
  const json run = sfn.call("DescribeMapRun", {{"mapRunArn", runs["mapRuns"][0].value("mapRunArn", "")}});
  const json items = run.value("itemCounts", json::object());
  s.total = count_of(items, "total");
  s.succeeded = count_of(items, "succeeded");
  s.failed = count_of(items, "failed") + count_of(items, "timedOut") + count_of(items, "aborted");
  s.pending = count_of(items, "pending");
  s.running = count_of(items, "running");
}

void read_execution(const aws::JsonClient& sfn, AwsScanStatus& s) {
  const json e = sfn.call("DescribeExecution", {{"executionArn", s.execution_arn}});
  s.status = e.value("status", "");
  s.error = e.value("error", "");
  s.cause = e.value("cause", "");
  read_map_run(sfn, s);
}

}  // namespace

AwsScanStatus scan_on_aws(const AwsScanOptions& options, const Reporter& reporter) {
  const S3Location at = scan_location(options.source);
  if (options.state_machine.rfind("arn:", 0) != 0)
    throw Error("--state-machine", "expected the state machine's ARN (the stack's ScanStateMachineArn output), got '" +
                                       options.state_machine + "'");
  const aws::JsonClient sfn(kStepFunctions, options.state_machine, "", region_of(options.state_machine));
  const json input = {{"bucket", at.bucket}, {"prefix", at.prefix}};
  const json started =
      sfn.call("StartExecution", {{"stateMachineArn", options.state_machine}, {"input", input.dump()}});
  AwsScanStatus s;
  s.execution_arn = started.value("executionArn", "");
  s.status = "RUNNING";
  if (s.execution_arn.empty()) throw Error(options.state_machine + " StartExecution", "no executionArn in the answer");
  reporter.say("scan on AWS: started " + s.execution_arn);
  while (options.wait) {
    read_execution(sfn, s);
    const long done = s.succeeded + s.failed;
    if (s.total > 0) reporter.tick("scan on AWS (" + std::to_string(s.failed) + " failed)", done, s.total);
    if (s.done()) break;
    std::this_thread::sleep_for(std::chrono::duration<double>(options.poll_seconds));
  }
  return s;
}

json to_json(const AwsScanStatus& s) {
  json out = {{"execution", s.execution_arn}, {"status", s.status},   {"total", s.total},    {"succeeded", s.succeeded},
              {"failed", s.failed},           {"pending", s.pending}, {"running", s.running}};
  if (!s.error.empty()) out["error"] = s.error;
  if (!s.cause.empty()) out["cause"] = s.cause;
  return out;
}

}  // namespace mw
