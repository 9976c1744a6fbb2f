// maskwatch scan s3://bucket/prefix --on-aws: starts the scan state machine
// (deploy/scan.asl.json: a Step Functions Distributed Map over the prefix,
// batches of keys to the maskwatch function) and follows it through Step
// Functions' own API (DescribeExecution; ListMapRuns and DescribeMapRun for
// the items done and failed). Endpoint: $AWS_ENDPOINT_URL_SFN, else AWS's.
#pragma once
#include <string>

#include "maskwatch.h"

namespace mw {

struct AwsScanOptions {
  std::string source;         // s3://bucket/prefix
  std::string state_machine;  // its ARN (the stack's ScanStateMachineArn output)
  bool wait = true;           // follow it to the end; false: start it and return
  double poll_seconds = 5;
};

struct AwsScanStatus {
  std::string execution_arn, status;  // RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED
  long total = 0, succeeded = 0, failed = 0, pending = 0, running = 0;  // the map run's items
  std::string error, cause;                                             // a failed execution's
  bool done() const { return status != "RUNNING" && status != "PENDING_REDRIVE"; }
};

// Starts the execution with input {"bucket", "prefix"} (and, waiting, reports
// progress until it ends). Throws mw::Error naming the call that failed.
AwsScanStatus scan_on_aws(const AwsScanOptions& options, const Reporter& reporter = {});
json to_json(const AwsScanStatus& s);

}  // namespace mw
