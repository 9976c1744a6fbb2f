#include "train/checkpoint.h"

#include <sstream>
#include <string_view>

#include "core/hash.h"

namespace mw {

namespace {

// "maskwatch-checkpoint sha256=<64 hex digits>\n", then the archive.
constexpr std::string_view kMagic = "maskwatch-checkpoint sha256=";
constexpr std::size_t kHexDigits = 64;
constexpr std::size_t kHeaderBytes = kMagic.size() + kHexDigits + 1;

TrainState state_of(torch::serialize::InputArchive& ar) {
  c10::IValue v;
  ar.read("state", v);
  auto s = json::parse(v.toStringRef());
  TrainState st;
  st.epoch = s.at("epoch");
  st.best_f1 = s.at("best_f1");
  st.best_epoch = s.at("best_epoch");
  st.history = s.at("history");
  st.fingerprint = s.at("fingerprint");
  return st;
}

}  // namespace

std::string seal_checkpoint(const std::string& archive) {
  return std::string(kMagic) + sha256_hex(archive) + "\n" + archive;
}

// The archive inside a checkpoint object, once its checksum matches.
std::string_view unseal_checkpoint(const std::string& bytes, const std::string& where) {
  if (bytes.size() < kHeaderBytes || bytes.compare(0, kMagic.size(), kMagic) != 0 || bytes[kHeaderBytes - 1] != '\n')
    throw Error(where, "checkpoint is corrupt: it does not start with its SHA-256 line ('" + std::string(kMagic) +
                           "...'); a checkpoint written before checkpoints carried one cannot be verified");
  const std::string_view archive = std::string_view(bytes).substr(kHeaderBytes);
  const std::string recorded = bytes.substr(kMagic.size(), kHexDigits), actual = sha256_hex(archive);
  if (recorded != actual)
    throw Error(where, "checkpoint is corrupt: its SHA-256 is " + actual + ", recorded " + recorded);
  return archive;
}

void save_checkpoint(ObjectStore& store, const std::string& key, NetworkImpl& net, torch::optim::Optimizer& opt,
                     const TrainState& st, NetworkImpl* ema) {
  torch::serialize::OutputArchive ar, model_ar, opt_ar;
  net.save(model_ar);
  if (ema) {
    torch::serialize::OutputArchive ema_ar;
    ema->save(ema_ar);
    ar.write("ema", ema_ar);
  }
  opt.save(opt_ar);
  ar.write("model", model_ar);
  ar.write("optimizer", opt_ar);
  json s = {{"epoch", st.epoch},
            {"best_f1", st.best_f1},
            {"best_epoch", st.best_epoch},
            {"history", st.history},
            {"fingerprint", st.fingerprint}};
  ar.write("state", c10::IValue(s.dump()));
  std::ostringstream os;
  ar.save_to(os);
  store.put(key, seal_checkpoint(os.str()));
}

bool load_checkpoint(const ObjectStore& store, const std::string& key, NetworkImpl& net, torch::optim::Optimizer& opt,
                     TrainState& st, NetworkImpl* ema, const std::function<void(const TrainState&)>& check) {
  if (!store.exists(key)) return false;
  const std::string where = store.uri() + "/" + key;
  const std::string bytes = store.get(key);
  try {
    std::istringstream is{std::string(unseal_checkpoint(bytes, where))};
    torch::serialize::InputArchive ar, model_ar, opt_ar;
    ar.load_from(is);
    TrainState saved = state_of(ar);
    if (check) check(saved);
    ar.read("model", model_ar);
    ar.read("optimizer", opt_ar);
    net.load(model_ar);
    if (ema) {
      torch::serialize::InputArchive ema_ar;
      ar.read("ema", ema_ar);
      ema->load(ema_ar);
    }
    opt.load(opt_ar);
    st = std::move(saved);
  } catch (const c10::Error& e) {
    throw Error(where, std::string("checkpoint does not load: ") + e.what_without_backtrace());
  } catch (const json::exception& e) {
    throw Error(where, std::string("checkpoint state is corrupt: ") + e.what());
  }
  return true;
}

}  // namespace mw
