// The AWS Lambda runtime API loop (version 2018-06-01) for a custom runtime:
// `maskwatch` and `maskwatch-lambda` (shipped behind `bootstrap`) serve it
// ($AWS_LAMBDA_RUNTIME_API set). Plain HTTP to the local endpoint, no signing.
#pragma once
#include <cstdint>
#include <exception>
#include <functional>
#include <string>

namespace mw {

struct LambdaInvocation {
  std::string request_id;        // Lambda-Runtime-Aws-Request-Id
  std::string function_arn;      // Lambda-Runtime-Invoked-Function-Arn
  std::string trace_id;          // Lambda-Runtime-Trace-Id (also set as $_X_AMZN_TRACE_ID)
  std::int64_t deadline_ms = 0;  // Lambda-Runtime-Deadline-Ms: Unix time in milliseconds
  std::string event;             // the event, as received (JSON text)
};

// Handles one invocation: returns the result as JSON text; a thrown exception
// is reported as the invocation's error.
using LambdaHandler = std::function<std::string(const LambdaInvocation&)>;
// Runs once before the first invocation (load the model, open the store) and
// returns the handler; a thrown exception is reported as an init error.
using LambdaInit = std::function<LambdaHandler()>;

// Serves invocations from the runtime API at `runtime_api` ("host:port"):
// GET .../runtime/invocation/next (no timeout), then POST the handler's result
// to .../invocation/{id}/response or its error to .../invocation/{id}/error.
// Returns 0 after max_invocations invocations (-1: no limit) or on SIGTERM
// (the current invocation is finished first); returns 1 after posting an
// init error, or when the runtime API fails (Lambda then restarts the runtime).
// Progress and errors go to stderr, which Lambda sends to CloudWatch Logs.
int serve_lambda(const std::string& runtime_api, const LambdaInit& init, int max_invocations = -1);

// The error document the runtime API expects for an exception:
// {"errorMessage": what(), "errorType": the exception's type, "stackTrace": []}.
std::string lambda_error_json(const std::exception_ptr& error);

}  // namespace mw
