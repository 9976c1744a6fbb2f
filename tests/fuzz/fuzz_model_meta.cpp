// model.json: validate_model_meta on any JSON document.
#include "fuzz.h"
#include "model/model_ref.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const mw::json meta = mw::fuzz::parse_json(data, size);
  if (meta.is_discarded()) return 0;
  mw::fuzz::accept_or_reject([&] { mw::validate_model_meta(meta, "fuzz-model.json"); });
  return 0;
}
