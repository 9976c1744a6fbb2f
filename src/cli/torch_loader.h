// LibTorch for the commands that need it (train, pipeline, the torch engine).
// maskwatch itself does not link LibTorch, so that every other command starts
// in milliseconds; maskwatch-torch is the same program with LibTorch linked.
// A command that needs it runs there: maskwatch hands the whole command line
// over (execv) before the command has done anything.
#pragma once
#include <string>

#include "train/torch_module.h"

namespace mw::cli {

// Called once by main() with the program's arguments, for the hand-over.
void set_command_line(int argc, char** argv);
// The LibTorch functions. In maskwatch: never returns (runs maskwatch-torch
// with the same arguments) or throws mw::Error naming where it looked.
const TorchModule& load_torch_module();
// What --version says of LibTorch: linked, or where maskwatch-torch is, or missing.
std::string torch_status();

}  // namespace mw::cli
