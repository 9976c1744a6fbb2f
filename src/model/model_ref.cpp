#include "model/model_ref.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

namespace mw {

namespace {

std::string shown(const json& v) {
  if (!v.is_number()) return v.dump();
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v.get<double>());
  return buf;
}

Error bad_field(const std::string& where, const std::string& field, const json& v, const std::string& expected) {
  return Error(where, "field '" + field + "' is " + shown(v) + "; expected " + expected);
}

const json& required(const json& meta, const std::string& field, const std::string& where) {
  if (!meta.contains(field)) throw Error(where, "field '" + field + "' is missing");
  return meta.at(field);
}

void check_range(const json& meta, const std::string& field, double lo, double hi, bool whole,
                 const std::string& where) {
  const json& v = meta.at(field);
  const bool in_range = v.is_number() && v.get<double>() >= lo && v.get<double>() <= hi;
  if (!in_range || (whole && !v.is_number_integer()))
    throw bad_field(where, field, v, std::string(whole ? "a whole number " : "") + shown(lo) + " to " + shown(hi));
}

void check_temperature(const json& conf, const std::string& where) {
  if (!conf.is_object() || !conf.contains("temperature"))
    throw bad_field(where, "confidence", conf, "an object with a temperature");
  const json& t = conf.at("temperature");
  if (!t.is_number() || !(t.get<double>() >= kMinModelTemperature && t.get<double>() <= kMaxModelTemperature))
    throw bad_field(where, "confidence.temperature", t,
                    shown(kMinModelTemperature) + " to " + shown(kMaxModelTemperature));
}

void check_triple(const json& norm, const std::string& key, const std::string& where) {
  if (!norm.contains(key)) return;
  const json& v = norm.at(key);
  bool ok = v.is_array() && v.size() == kNormalisationChannels;
  for (std::size_t i = 0; ok && i < v.size(); ++i) ok = v[i].is_number() && std::isfinite(v[i].get<double>());
  if (!ok) throw bad_field(where, "normalisation." + key, v, "3 finite numbers");
}

void check_arch_and_labels(const json& meta, const std::string& where) {
  const json& arch = required(meta, "arch", where);
  const auto& archs = model_archs();
  if (!arch.is_string() || std::find(archs.begin(), archs.end(), arch.get<std::string>()) == archs.end())
    throw bad_field(where, "arch", arch, "one of resnet18, resnet34, face-resnet");
  const json& labels = required(meta, "labels", where);
  if (labels != json(class_names()))
    throw bad_field(where, "labels", labels, json(class_names()).dump() + " in that order");
}

// models/latest's id, read only when the object is small.
std::string latest_id(const ObjectStore& store) {
  const std::string where = store.uri() + "/" + kLatestKey;
  auto info = store.head(kLatestKey);
  if (!info) throw Error(where, "no model yet: run 'maskwatch train' first");
  if (info->size > kMaxLatestBytes)
    throw Error(where,
                "is " + std::to_string(info->size) + " bytes; a model id is under " + std::to_string(kMaxLatestBytes));
  std::string id = store.get(kLatestKey);
  while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
  return id;
}

}  // namespace

const std::vector<std::string>& model_archs() {
  static const std::vector<std::string> archs = {"resnet18", "resnet34", "face-resnet"};
  return archs;
}

void validate_model_meta(const json& meta, const std::string& where) {
  if (!meta.is_object()) throw Error(where, "model metadata is not a JSON object");
  check_arch_and_labels(meta, where);
  required(meta, "input_size", where);
  check_range(meta, "input_size", kMinModelInputSize, kMaxModelInputSize, true, where);
  if (meta.contains("crop_size")) check_range(meta, "crop_size", kMinModelCropSize, kMaxModelCropSize, true, where);
  if (meta.contains("margin")) check_range(meta, "margin", kMinModelMargin, kMaxModelMargin, false, where);
  if (meta.contains("normalisation")) {
    const json& norm = meta.at("normalisation");
    if (!norm.is_object()) throw bad_field(where, "normalisation", norm, "an object");
    check_triple(norm, "mean", where);
    check_triple(norm, "inv_scale", where);
  }
  if (meta.contains("confidence")) check_temperature(meta.at("confidence"), where);
}

ModelRef find_model(const ObjectStore& store, const std::string& id_arg) {
  std::string id = id_arg.empty() || id_arg == "latest" ? latest_id(store) : id_arg;
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
  const std::string where = store.uri() + "/" + ref.dir + "model.json";
  try {
    ref.meta = json::parse(store.get(ref.dir + "model.json"));
  } catch (const json::exception& e) {
    throw Error(where, std::string("bad model metadata: ") + e.what());
  }
  validate_model_meta(ref.meta, where);
  return ref;
}

}  // namespace mw
