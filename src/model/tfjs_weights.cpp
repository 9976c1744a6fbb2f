#include "model/tfjs_weights.h"

#include <cmath>
#include <cstring>
#include <filesystem>

#include "core/paths.h"
#include "maskwatch.h"

namespace mw {

namespace {
constexpr std::size_t kMaxShardBytes = std::size_t(1) << 30;
constexpr std::int64_t kMaxTensorElements = std::int64_t(1) << 31;  // each dimension and their product

struct Quantisation {
  std::string stored;  // the dtype in the weight files
  double scale = 1, min = 0;
};

// The entry's "quantization" (uint8 only), or none: the values are stored as `dtype`.
Quantisation read_quantisation(const json& w, const std::string& dtype, const std::string& where) {
  Quantisation q{dtype};
  if (!w.contains("quantization")) return q;
  const auto& entry = w["quantization"];
  try {
    if (!entry.is_object()) throw Error(where, "quantization must be an object");
    q.stored = entry.value("dtype", "");
    if (q.stored == "float16") return q;  // graph models: half floats, no scale
    if (q.stored != "uint8") throw Error(where, "unsupported quantisation dtype '" + q.stored + "'");
    if (!entry.contains("scale") || !entry.contains("min")) throw Error(where, "quantisation lacks scale or min");
    q.scale = entry["scale"].get<double>();
    q.min = entry["min"].get<double>();
  } catch (const json::exception& e) {
    throw Error(where, std::string("bad quantisation: ") + e.what());
  }
  return q;
}

// An IEEE 754 half float's value.
float half_to_float(std::uint16_t h) {
  constexpr int kMantissaBits = 10, kExponentBias = 15;
  const int exponent = (h >> kMantissaBits) & 0x1f, mantissa = h & 0x3ff;
  const float sign = (h & 0x8000) ? -1.f : 1.f;
  if (exponent == 0) return sign * std::ldexp(static_cast<float>(mantissa), 1 - kExponentBias - kMantissaBits);
  if (exponent == 0x1f) return mantissa ? std::nanf("") : sign * INFINITY;
  return sign * std::ldexp(static_cast<float>(mantissa | 0x400), exponent - kExponentBias - kMantissaBits);
}

std::size_t dtype_bytes(const std::string& dtype) {
  if (dtype == "float32" || dtype == "int32") return 4;
  if (dtype == "uint8") return 1;
  if (dtype == "uint16" || dtype == "float16") return 2;
  return 0;
}
}  // namespace

std::int64_t TfjsTensor::numel() const {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

std::map<std::string, TfjsTensor> decode_tfjs_weights(const std::string& manifest_json, const std::string& data,
                                                      const std::string& source) {
  json manifest;
  try {
    manifest = json::parse(manifest_json);
  } catch (const json::exception& e) {
    throw Error(source, std::string("manifest is not JSON: ") + e.what());
  }
  if (!manifest.is_array()) throw Error(source, "manifest must be an array of weight groups");
  std::map<std::string, TfjsTensor> out;
  std::size_t offset = 0;
  for (const auto& group : manifest) {
    if (!group.contains("weights") || !group["weights"].is_array())
      throw Error(source, "a weight group has no 'weights' array");
    for (const auto& w : group["weights"]) {
      TfjsTensor t;
      try {
        t.name = w.at("name").get<std::string>();
        for (const auto& d : w.at("shape"))  // whole numbers only: 2e19 does not fit an int64
          if (!d.is_number_integer()) throw Error(source + ": tensor '" + t.name + "'", "bad dimension in shape");
        t.shape = w.at("shape").get<std::vector<std::int64_t>>();
        t.dtype = w.at("dtype").get<std::string>();
      } catch (const json::exception& e) {
        throw Error(source, std::string("bad weight entry: ") + e.what());
      }
      const std::string where = source + ": tensor '" + t.name + "'";
      std::int64_t n = 1;
      for (auto d : t.shape) {
        if (d < 0 || d > kMaxTensorElements) throw Error(where, "bad dimension in shape");
        if (d > 0 && n > kMaxTensorElements / d) throw Error(where, "shape has more than 2^31 elements");
        n *= d;
      }
      if (t.dtype != "float32" && t.dtype != "int32") throw Error(where, "unsupported dtype '" + t.dtype + "'");
      const auto [stored, scale, min] = read_quantisation(w, t.dtype, where);
      const std::size_t bytes = static_cast<std::size_t>(n) * dtype_bytes(stored);
      if (data.size() < offset || data.size() - offset < bytes)
        throw Error(where, "needs " + std::to_string(bytes) + " bytes at offset " + std::to_string(offset) +
                               " but the weight files hold " + std::to_string(data.size()) + " bytes");
      const auto* p = reinterpret_cast<const unsigned char*>(data.data()) + offset;
      t.values.resize(static_cast<std::size_t>(n));
      if (stored == "uint8") {
        for (std::int64_t i = 0; i < n; ++i) {
          double v = double(p[i]) * scale + min;
          t.values[i] = t.dtype == "int32" ? static_cast<float>(std::round(v)) : static_cast<float>(v);
        }
      } else if (stored == "float16") {
        for (std::int64_t i = 0; i < n; ++i) {
          std::uint16_t v;
          std::memcpy(&v, p + 2 * i, 2);
          t.values[i] = half_to_float(v);
        }
      } else if (stored == "float32") {
        if (bytes) std::memcpy(t.values.data(), p, bytes);  // offsets may be unaligned
      } else {                                              // int32
        for (std::int64_t i = 0; i < n; ++i) {
          std::int32_t v;
          std::memcpy(&v, p + 4 * i, 4);
          t.values[i] = static_cast<float>(v);
        }
      }
      offset += bytes;
      if (!out.emplace(t.name, std::move(t)).second) throw Error(where, "tensor name appears twice");
    }
  }
  if (offset != data.size())
    throw Error(source, "the manifest accounts for " + std::to_string(offset) + " bytes but the weight files hold " +
                            std::to_string(data.size()));
  return out;
}

std::map<std::string, TfjsTensor> load_tfjs_weights(const std::string& manifest_path) {
  auto text = read_file(manifest_path, 16u << 20);
  json manifest;
  try {
    manifest = json::parse(text);
  } catch (const json::exception& e) {
    throw Error(manifest_path, std::string("manifest is not JSON: ") + e.what());
  }
  const std::string dir = std::filesystem::path(manifest_path).parent_path().string();
  return decode_tfjs_weights(text, read_tfjs_shards(manifest, dir, manifest_path, kMaxShardBytes), manifest_path);
}

std::string read_tfjs_shards(const json& manifest, const std::string& dir, const std::string& source,
                             std::size_t max_bytes) {
  std::string data;
  for (const auto& group : manifest)
    for (const auto& p : group.value("paths", json::array())) {
      auto name = p.get<std::string>();
      if (name.find("..") != std::string::npos || name.find('/') != std::string::npos)
        throw Error(source, "shard path '" + name + "' must be a plain file name");
      data += read_file((std::filesystem::path(dir) / name).string(), max_bytes);
    }
  return data;
}

}  // namespace mw
