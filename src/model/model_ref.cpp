#include "model/model_ref.h"

namespace mw {

ModelRef find_model(const ObjectStore& store, const std::string& id_arg) {
  std::string id = id_arg;
  if (id.empty() || id == "latest") {
    if (!store.exists(kLatestKey))
      throw Error(store.uri() + "/" + kLatestKey, "no model yet: run 'maskwatch train' first");
    id = store.get(kLatestKey);
    while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
  }
  ModelRef ref;
  ref.dir = "models/" + id + "/";
  if (!store.exists(ref.dir + "model.json")) {
    std::vector<std::string> hits;
    for (const auto& o : store.list("models/" + id))
      if (o.key.size() > 11 && o.key.compare(o.key.size() - 11, 11, "/model.json") == 0) hits.push_back(o.key);
    if (hits.size() != 1)
      throw Error(store.uri() + "/models/" + id, hits.empty() ? "no such model" : "ambiguous model id prefix");
    ref.dir = hits[0].substr(0, hits[0].size() - 10);
  }
  try {
    ref.meta = json::parse(store.get(ref.dir + "model.json"));
    ref.meta.at("arch").get<std::string>();
    ref.meta.at("labels").size();
    ref.meta.at("input_size").get<int>();
  } catch (const json::exception& e) {
    throw Error(store.uri() + "/" + ref.dir + "model.json", std::string("bad model metadata: ") + e.what());
  }
  return ref;
}

}  // namespace mw
