#include "core/signals.h"

namespace mw {

ScopedSignalHandler::ScopedSignalHandler(std::initializer_list<int> signals, void (*handler)(int)) {
  struct sigaction sa {};
  sa.sa_handler = handler;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  for (int sig : signals) {
    struct sigaction old {};
    ::sigaction(sig, &sa, &old);
    previous_.emplace_back(sig, old);
  }
}

ScopedSignalHandler::~ScopedSignalHandler() {
  for (auto it = previous_.rbegin(); it != previous_.rend(); ++it) ::sigaction(it->first, &it->second, nullptr);
}

}  // namespace mw
