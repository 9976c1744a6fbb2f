// Pascal VOC annotations: parse_voc, then every object checked against the image.
#include "data/voc.h"
#include "fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  mw::fuzz::accept_or_reject([&] {
    const auto annotation = mw::parse_voc(mw::fuzz::bytes_of(data, size), "fuzz.xml");
    for (const auto& object : annotation.objects) mw::check_object(object, annotation.width, annotation.height);
  });
  return 0;
}
