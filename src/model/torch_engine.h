// The LibTorch engine: the reference for the plain engine, and the one that
// runs architectures without a plain export.
#pragma once

namespace mw {

// Registers LibTorch as the reference engine (infer/engine.h).
void use_torch_engine();

}  // namespace mw
