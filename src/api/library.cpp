// libmaskwatch.so: the inference library other programs link
// (CMakeLists.txt maskwatch_shared). Its code is maskwatch_base's, linked in
// whole; its API is include/maskwatch/maskwatch.h (api/face_labeller.cpp).
#include <maskwatch/maskwatch.h>
