// libmaskwatch_train.so: training and the pipeline for other programs
// (CMakeLists.txt maskwatch_train_shared, exported as maskwatch::train). Its
// code is the maskwatch (LibTorch) target's, linked in whole over
// libmaskwatch.so; its API is include/maskwatch.h.
#include "maskwatch.h"
