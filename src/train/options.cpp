#include "train/options.h"

#include "core/paths.h"
#include "model/arch.h"
#include "store/object_store.h"

namespace mw {

namespace {

// Settings of one process, not of the run: never recorded, never carried over.
const char* const kProcessKeys[] = {"store", "resume", "stop_after_batches"};

std::string type_name(const json& v) { return v.is_number() ? "number" : v.type_name(); }

// Every key of `settings` is a TrainOptions field with a value of the field's type.
void check_settings(const json& settings, const std::string& where) {
  if (!settings.is_object()) throw Error(where, "must be a JSON object, not " + settings.dump());
  const json fields = TrainOptions{};
  for (const auto& [key, value] : settings.items()) {
    if (!fields.contains(key)) throw Error(where, "'" + key + "' is no setting of train");
    const json& field = fields.at(key);
    const bool same = field.is_number() ? value.is_number() : field.type() == value.type();
    if (!same) throw Error(where, "'" + key + "' must be a " + type_name(field) + ", not " + value.dump());
  }
}

std::string trimmed_line(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

// The recorded options of the run that `given` resumes, or nullopt when it has none.
std::optional<json> recorded_options(const std::string& store_uri, const json& given) {
  auto store = open_store(store_uri);
  std::string run = given.value("run", "");
  if (run.empty()) {
    if (!store->exists(kLatestRunKey)) throw Error(store->uri() + "/" + kLatestRunKey, "no run to resume");
    run = trimmed_line(store->get(kLatestRunKey));
  }
  check_key(run_key(run, kOptionsFile));
  if (!store->exists(run_key(run, kOptionsFile))) return std::nullopt;
  const std::string where = store->uri() + "/" + run_key(run, kOptionsFile);
  json j;
  try {
    j = json::parse(store->get(run_key(run, kOptionsFile)));
  } catch (const json::exception& e) {
    throw Error(where, std::string("recorded options are corrupt: ") + e.what());
  }
  check_settings(j, where);
  j["run"] = run;
  return j;
}

}  // namespace

std::string run_key(const std::string& run, const std::string& file) { return "runs/" + run + "/" + file; }

json recorded_json(const TrainOptions& o) {
  json j = o;
  for (const char* key : kProcessKeys) j.erase(key);
  return j;
}

TrainOptions train_recipe(const std::string& arch) {
  TrainOptions o;  // its defaults are the from-scratch recipe (resnet18, resnet34)
  o.arch = arch;
  if (arch == "face-resnet") {
    // Fine-tuning: the new head at lr, the whole pretrained body (stem
    // included: nothing frozen, as in TrainOptions{}) at 1/20 of it.
    o.input_size = kFaceMinInput;
    o.epochs = 12;
    o.optimizer = "adamw";
    o.lr = 2e-3;
    o.body_lr_scale = 0.05;
    o.weight_decay = 0.01;
  }
  return o;
}

TrainOptions resolve_train_options(const std::string& store, const json& given) {
  check_settings(given, "train options");
  std::optional<json> base;
  if (given.value("resume", false)) base = recorded_options(store, given);
  if (!base) base = json(train_recipe(given.value("arch", std::string(kDefaultArch))));
  for (const char* key : kProcessKeys) base->erase(key);
  base->update(given);
  TrainOptions o = base->get<TrainOptions>();
  o.store = store;
  return o;
}

namespace {
std::string new_run_id(const std::string& prefix, std::uint64_t seed) {
  std::string id = prefix;
  for (char c : utc_now_iso())
    if (c != '-' && c != ':') id += c;
  return id + "-s" + std::to_string(seed);
}
}  // namespace

std::string choose_run(const ObjectStore& store, std::string run, bool resume, std::uint64_t seed,
                       const std::string& latest_key, const std::string& prefix) {
  if (run.empty() && resume) {
    if (!store.exists(latest_key)) throw Error(store.uri() + "/" + latest_key, "no run to resume");
    run = store.get(latest_key);
    while (!run.empty() && run.back() == '\n') run.pop_back();
  } else if (run.empty()) {
    run = new_run_id(prefix, seed);
    for (int n = 2; !store.list("runs/" + run + "/").empty(); ++n)
      run = new_run_id(prefix, seed) + "-" + std::to_string(n);
  }
  check_key("runs/" + run);
  if (!resume && store.exists(run_key(run, "checkpoint.pt")))
    throw Error(store.uri() + "/runs/" + run, "run exists: continue it with --resume or name another with --run");
  return run;
}

}  // namespace mw
