// maskwatch (no LibTorch): hands commands that need LibTorch to maskwatch-torch.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "cli/torch_loader.h"
#include "core/env.h"

namespace fs = std::filesystem;

namespace mw::cli {

namespace {

constexpr const char* kTorchProgram = "maskwatch-torch";
std::vector<char*> command_line;

// $MASKWATCH_TORCH, then beside this program (a build tree or <prefix>/bin).
std::vector<fs::path> candidates() {
  std::vector<fs::path> out;
  if (auto env = env_or("MASKWATCH_TORCH"); !env.empty()) out.emplace_back(env);
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) out.push_back(exe.parent_path() / kTorchProgram);
  return out;
}

std::string find_torch_program() {
  for (const auto& c : candidates())
    if (::access(c.c_str(), X_OK) == 0) return c.string();
  return "";
}

}  // namespace

void set_command_line(int argc, char** argv) { command_line.assign(argv, argv + argc + 1); }

const TorchModule& load_torch_module() {
  const std::string program = find_torch_program();
  if (program.empty()) {
    std::string looked;
    for (const auto& c : candidates()) looked += (looked.empty() ? "" : ", ") + c.string();
    throw Error(kTorchProgram, "not found (looked at " + looked +
                                   "): this command needs LibTorch; build maskwatch with LibTorch installed "
                                   "(scripts/setup.sh) or set MASKWATCH_TORCH");
  }
  // OpenMP (loaded with LibTorch) reads its wait policy once, when it loads:
  // busy-waiting threads collapse throughput when another process holds a core.
  ::setenv("OMP_WAIT_POLICY", env_or("OMP_WAIT_POLICY", "PASSIVE").c_str(), 1);
  ::execv(program.c_str(), command_line.data());
  throw Error(program, std::string("cannot run: ") + std::strerror(errno));
}

std::string torch_status() {
  const std::string program = find_torch_program();
  return program.empty() ? "not available (no maskwatch-torch beside this program)"
                         : "LibTorch, in " + program + " (train, pipeline and MASKWATCH_ENGINE=torch run there)";
}

}  // namespace mw::cli
