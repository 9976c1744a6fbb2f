#include "model/artifact.h"

#include <sstream>

#include "core/hash.h"
#include "core/paths.h"
#include "model/plain_export.h"

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

namespace {
// The plain engine's copy (BatchNorm folded) for architectures it runs; records its hash in meta.
void put_plain_export(ObjectStore& store, const std::string& dir, const std::string& weights, json& meta) {
  auto folded = make_network(meta.at("arch").get<std::string>(), meta.at("labels").size(), /*pretrained=*/false);
  weights_from_bytes(*folded, weights, dir + "weights.pt");
  folded->fold_batchnorm();
  if (auto plain = export_plain(*folded, meta.at("input_size").get<int>())) {
    auto plain_bytes = plain->to_bytes();
    meta["plain_sha256"] = sha256_hex(plain_bytes);
    store.put(dir + kPlainWeightsFile, plain_bytes);
  }
}
}  // namespace

bool ensure_plain_export(ObjectStore& store, const std::string& id) {
  auto ref = find_model(store, id);
  if (ref.meta.contains("plain_sha256") && store.exists(ref.dir + kPlainWeightsFile)) return true;
  put_plain_export(store, ref.dir, store.get(ref.dir + "weights.pt"), ref.meta);
  if (!ref.meta.contains("plain_sha256")) return false;
  store.put(ref.dir + "model.json", ref.meta.dump(2));
  return true;
}

json publish_model(ObjectStore& store, NetworkImpl& net, json meta) {
  auto bytes = weights_to_bytes(net);
  auto id = sha256_hex(bytes).substr(0, 16);
  meta["id"] = id;
  meta["weights_sha256"] = sha256_hex(bytes);
  meta["weights_bytes"] = bytes.size();
  if (!meta.contains("created_at")) meta["created_at"] = utc_now_iso();
  const std::string dir = "models/" + id + "/";
  put_plain_export(store, dir, bytes, meta);
  store.put(dir + "weights.pt", bytes);
  store.put(dir + "model.json", meta.dump(2));
  store.put(kLatestKey, id + "\n");
  return meta;
}

LoadedModel load_model(const ObjectStore& store, const std::string& id_arg) {
  auto ref = find_model(store, id_arg);
  const std::string& dir = ref.dir;
  LoadedModel m;
  m.meta = std::move(ref.meta);
  m.net = make_network(m.meta.at("arch").get<std::string>(), m.meta.at("labels").size(), /*pretrained=*/false);
  auto bytes = store.get(dir + "weights.pt");
  if (sha256_hex(bytes) != m.meta.value("weights_sha256", ""))
    throw Error(store.uri() + "/" + dir + "weights.pt", "weights do not match their recorded SHA-256");
  weights_from_bytes(*m.net, bytes, store.uri() + "/" + dir + "weights.pt");
  m.net->eval();
  return m;
}

}  // namespace mw
