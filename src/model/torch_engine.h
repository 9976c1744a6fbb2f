// The LibTorch engine: the reference for the plain engine, and the one that
// runs architectures without a plain export.
#pragma once

#include "infer/engine.h"

namespace mw {

// LibTorch as an Engine (model/runtime.h's path; BatchNorm folded).
EngineFactory torch_engine_factory();
// Registers LibTorch as the reference engine (infer/engine.h).
void use_torch_engine();

}  // namespace mw
