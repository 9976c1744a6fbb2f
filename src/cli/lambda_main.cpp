// maskwatch-lambda: the Lambda build of maskwatch (no LibTorch, so the
// deployment fits Lambda's limits and starts fast). As `bootstrap` it serves
// the Runtime API loop; configured by MASKWATCH_* variables (lambda/handler.h).
#include <cstdlib>
#include <iostream>

#include "core/env.h"
#include "infer/engine.h"
#include "lambda/handler.h"
#include "lambda/runtime.h"
#include "store/s3_store.h"

int main(int argc, char** argv) {
  const char* api = std::getenv("AWS_LAMBDA_RUNTIME_API");
  if (!api || !*api) {
    std::cerr << "usage: AWS_LAMBDA_RUNTIME_API=host:port " << (argc > 0 ? argv[0] : "maskwatch-lambda") << "\n"
              << "The AWS Lambda function of maskwatch (see deploy/README.md); configured by MASKWATCH_STORE,\n"
              << "MASKWATCH_MODEL_STORE, MASKWATCH_MODEL, MASKWATCH_RESULTS, MASKWATCH_SIZES, MASKWATCH_THREADS.\n";
    return 2;
  }
  mw::register_s3_store();
  mw::set_engine_defaults(mw::env_or("MASKWATCH_ENGINE"), mw::env_or("MASKWATCH_PRECISION"));
  return mw::serve_lambda(api, [] { return mw::make_lambda_handler(mw::lambda_config_from_env()); });
}
