// maskwatch prepare: split by image, crop every face, write the shards.
#include "cli/cli.h"

namespace mw::cli {

Run add_prepare(CLI::App& app, const Globals& g) {
  auto* c = app.add_subcommand("prepare", "split by image (60/20/20), crop every face, write shards");
  auto pr = add_prepare_options(*c);
  return [&g, pr] {
    require_store(g.store);
    pr->store = g.store;
    auto r = prepare(*pr, reporter(g));
    g.json ? print_json(r) : print_prepare(r);
    return 0;
  };
}

}  // namespace mw::cli
