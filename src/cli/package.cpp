// maskwatch package: the AWS Lambda deployment zip.
#include <iostream>

#include "cli/cli.h"
#include "cli/torch_loader.h"
#include "model/model_ref.h"
#include "store/object_store.h"

namespace mw::cli {

namespace {
// Models published before the plain engine existed get its weights now (LibTorch needed for that only).
void ensure_plain_weights(const std::string& store_uri, const std::string& model) {
  auto store = open_store(store_uri);
  const ModelRef ref = find_model(*store, model);
  if (ref.meta.contains("plain_sha256")) return;
  if (!load_torch_module().ensure_plain_export(*store, ref.meta.at("id").get<std::string>()))
    throw Error("package", "the model's architecture has no plain export");
}
}  // namespace

Run add_package(CLI::App& app, const Globals& g) {
  auto* c = app.add_subcommand("package", "build the AWS Lambda deployment zip (see deploy/README.md)");
  auto po = std::make_shared<PackageOptions>();
  c->add_option("--model", po->model, "model id or 'latest'")->capture_default_str();
  c->add_option("-o,--output", po->output, "zip file to write")->capture_default_str();
  c->add_option("--zip-level", po->zip_level, "compression, 0 (none) to 9 (smallest)")->capture_default_str();
  c->add_option("--binary", po->lambda_binary, "the Lambda build (default: maskwatch-lambda beside this program)");
  return [&g, po] {
    require_store(g.store);
    po->store = g.store;
    ensure_plain_weights(g.store, po->model);
    auto r = package_lambda(*po, reporter(g));
    if (g.json) return print_json(r), 0;
    std::cout << "wrote " << r["zip"].get<std::string>() << ": " << fixed(r["zipped_bytes"].get<double>() / 1e6, 1)
              << " MB zipped, " << fixed(r["unzipped_bytes"].get<double>() / 1e6, 1)
              << " MB unzipped (Lambda's limit: 250 MB), model " << r["model"].get<std::string>() << "\n";
    return 0;
  };
}

}  // namespace mw::cli
