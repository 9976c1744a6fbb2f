// maskwatch-torch: LibTorch is linked, so its functions are called directly.
#include "cli/torch_loader.h"

namespace mw::cli {

void set_command_line(int, char**) {}
const TorchModule& load_torch_module() { return *maskwatch_torch_module(); }
std::string torch_status() { return "LibTorch linked"; }

}  // namespace mw::cli
