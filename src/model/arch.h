// The network architectures maskwatch trains, as names and the few facts
// that code without LibTorch needs of them.
#pragma once

namespace mw {

// face-resnet (face-api's dlib face network) needs at least this input side:
// its stride-2 'valid' stages leave no map below it.
inline constexpr int kFaceMinInput = 112;

}  // namespace mw
