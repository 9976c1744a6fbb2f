#include "model/catalog.h"

#include <algorithm>

#include "model/model_ref.h"

namespace mw {

namespace {

constexpr const char* kModelFile = "/model.json";

std::string latest_id(const ObjectStore& store) {
  if (!store.exists(kLatestKey)) return "";
  return find_model(store, "latest").meta.value("id", "");
}

// The figures evaluate recorded for a split, or null.
json evaluation(const ObjectStore& store, const std::string& id, const std::string& split) {
  const std::string key = evaluation_key(id, split);
  if (!store.exists(key)) return nullptr;
  return json::parse(store.get(key), nullptr, false);
}

json figures(const json& e) {
  if (!e.is_object()) return nullptr;
  return {{"accuracy", e.value("accuracy", json())}, {"macro_f1", e.value("macro_f1", json())}};
}

}  // namespace

std::string evaluation_key(const std::string& model_id, const std::string& split) {
  return "reports/evaluate-" + model_id + "-" + split + ".json";
}

json list_models(const ObjectStore& store) {
  const std::string latest = latest_id(store);
  json out = json::array();
  for (const auto& o : store.list("models/")) {
    const auto& key = o.key;
    if (key.size() <= std::string(kModelFile).size() ||
        key.compare(key.size() - std::string(kModelFile).size(), std::string::npos, kModelFile) != 0)
      continue;
    const json meta = json::parse(store.get(key), nullptr, false);
    if (!meta.is_object()) continue;
    const std::string id = meta.value("id", "");
    const json& m = meta.value("metrics", json::object());
    out.push_back(
        {{"id", id},
         {"arch", meta.value("arch", "")},
         {"input_size", meta.value("input_size", 0)},
         {"created_at", meta.value("created_at", "")},
         {"latest", id == latest},
         {"val", {{"accuracy", m.value("val_accuracy", json())}, {"macro_f1", m.value("val_macro_f1", json())}}},
         {"test", figures(evaluation(store, id, "test"))}});
  }
  std::stable_sort(out.begin(), out.end(), [](const json& a, const json& b) {
    return a["created_at"].get<std::string>() < b["created_at"].get<std::string>();
  });
  return out;
}

json show_model(const ObjectStore& store, const std::string& id) {
  ModelRef ref = find_model(store, id);
  json card = ref.meta;
  const std::string model_id = card.value("id", "");
  card["latest"] = model_id == latest_id(store);
  json evaluations = json::object();
  for (const char* split : {"train", "val", "test"})
    if (json e = evaluation(store, model_id, split); e.is_object()) evaluations[split] = e;
  card["evaluations"] = evaluations;
  return card;
}

}  // namespace mw
