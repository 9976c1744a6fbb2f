// Signal handlers for the lifetime of a scope.
#pragma once
#include <signal.h>

#include <initializer_list>
#include <utility>
#include <vector>

namespace mw {

// Installs `handler` for each of `signals` (SA_RESTART, no extra mask) and puts
// the previous handlers back when destroyed.
class ScopedSignalHandler {
 public:
  ScopedSignalHandler(std::initializer_list<int> signals, void (*handler)(int));
  ~ScopedSignalHandler();
  ScopedSignalHandler(const ScopedSignalHandler&) = delete;
  ScopedSignalHandler& operator=(const ScopedSignalHandler&) = delete;

 private:
  std::vector<std::pair<int, struct sigaction>> previous_;
};

}  // namespace mw
