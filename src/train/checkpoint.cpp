#include "train/checkpoint.h"

#include <sstream>

namespace mw {

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
  store.put(key, os.str());
}

bool load_checkpoint(const ObjectStore& store, const std::string& key, NetworkImpl& net, torch::optim::Optimizer& opt,
                     TrainState& st, NetworkImpl* ema) {
  if (!store.exists(key)) return false;
  const std::string where = store.uri() + "/" + key;
  try {
    std::istringstream is(store.get(key));
    torch::serialize::InputArchive ar, model_ar, opt_ar;
    ar.load_from(is);
    ar.read("model", model_ar);
    ar.read("optimizer", opt_ar);
    net.load(model_ar);
    if (ema) {
      torch::serialize::InputArchive ema_ar;
      ar.read("ema", ema_ar);
      ema->load(ema_ar);
    }
    opt.load(opt_ar);
    c10::IValue v;
    ar.read("state", v);
    auto s = json::parse(v.toStringRef());
    st.epoch = s.at("epoch");
    st.best_f1 = s.at("best_f1");
    st.best_epoch = s.at("best_epoch");
    st.history = s.at("history");
    st.fingerprint = s.at("fingerprint");
  } catch (const c10::Error& e) {
    throw Error(where, std::string("checkpoint does not load: ") + e.what_without_backtrace());
  } catch (const json::exception& e) {
    throw Error(where, std::string("checkpoint state is corrupt: ") + e.what());
  }
  return true;
}

}  // namespace mw
