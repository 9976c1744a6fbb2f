#include "model/artifact.h"

#include <sstream>

#include "core/hash.h"
#include "core/paths.h"

namespace mw {

std::string weights_to_bytes(NetworkImpl& net) {
  torch::serialize::OutputArchive ar;
  net.save(ar);
  std::ostringstream os;
  ar.save_to(os);
  return os.str();
}

void weights_from_bytes(NetworkImpl& net, const std::string& bytes, const std::string& source) {
  try {
    std::istringstream is(bytes);
    torch::serialize::InputArchive ar;
    ar.load_from(is);
    net.load(ar);
  } catch (const c10::Error& e) {
    throw Error(source, std::string("weights do not load: ") + e.what_without_backtrace());
  }
}

json publish_model(ObjectStore& store, NetworkImpl& net, json meta) {
  auto bytes = weights_to_bytes(net);
  auto id = sha256_hex(bytes).substr(0, 16);
  meta["id"] = id;
  meta["weights_sha256"] = sha256_hex(bytes);
  meta["weights_bytes"] = bytes.size();
  if (!meta.contains("created_at")) meta["created_at"] = utc_now_iso();
  const std::string dir = "models/" + id + "/";
  store.put(dir + "weights.pt", bytes);
  store.put(dir + "model.json", meta.dump(2));
  store.put(kLatestKey, id + "\n");
  return meta;
}

LoadedModel load_model(const ObjectStore& store, const std::string& id_arg) {
  std::string id = id_arg;
  if (id.empty() || id == "latest") {
    if (!store.exists(kLatestKey))
      throw Error(store.uri() + "/" + kLatestKey, "no model yet: run 'maskwatch train' first");
    id = store.get(kLatestKey);
    while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
  }
  std::string dir = "models/" + id + "/";
  if (!store.exists(dir + "model.json")) {
    std::vector<std::string> hits;
    for (const auto& o : store.list("models/" + id))
      if (o.key.size() > 11 && o.key.compare(o.key.size() - 11, 11, "/model.json") == 0) hits.push_back(o.key);
    if (hits.size() != 1)
      throw Error(store.uri() + "/models/" + id, hits.empty() ? "no such model" : "ambiguous model id prefix");
    dir = hits[0].substr(0, hits[0].size() - 10);
  }
  LoadedModel m;
  try {
    m.meta = json::parse(store.get(dir + "model.json"));
    m.net = make_network(m.meta.at("arch").get<std::string>(), m.meta.at("labels").size(), /*pretrained=*/false);
  } catch (const json::exception& e) {
    throw Error(store.uri() + "/" + dir + "model.json", std::string("bad model metadata: ") + e.what());
  }
  auto bytes = store.get(dir + "weights.pt");
  if (sha256_hex(bytes) != m.meta.value("weights_sha256", ""))
    throw Error(store.uri() + "/" + dir + "weights.pt", "weights do not match their recorded SHA-256");
  weights_from_bytes(*m.net, bytes, store.uri() + "/" + dir + "weights.pt");
  m.net->eval();
  return m;
}

}  // namespace mw
