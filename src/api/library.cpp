// libmaskwatch.so: the inference library other programs link
// (CMakeLists.txt maskwatch_shared). Its code is maskwatch_infer's and
// maskwatch_cloud's, linked in whole; its API is include/maskwatch/maskwatch.h
// (api/face_labeller.cpp). Loading it makes s3:// stores openable.
#include <maskwatch/maskwatch.h>

#include "store/s3_store.h"

namespace {

[[maybe_unused]] const bool kS3Stores = (mw::register_s3_store(), true);

}  // namespace
