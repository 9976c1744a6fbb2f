// maskwatch ingest: validate a Pascal VOC dataset and copy it into the store.
#include "cli/cli.h"

namespace mw::cli {

Run add_ingest(CLI::App& app, const Globals& g) {
  auto* c = app.add_subcommand("ingest", "validate a Pascal VOC dataset and copy it into the store");
  auto in = std::make_shared<IngestOptions>();
  auto data = std::make_shared<std::string>();
  c->add_option("--data", *data,
                "dataset folder (images/ + annotations/); default $MASKWATCH_DATA, then "
                "../shared/data/face-mask-detection");
  c->add_flag("--strict", in->strict, "stop at the first bad record");
  return [&g, in, data] {
    in->store = g.store;
    in->data_dir = resolve_data_dir(*data);
    auto r = ingest(*in, reporter(g));
    g.json ? print_json(r) : print_ingest(r);
    return 0;
  };
}

}  // namespace mw::cli
