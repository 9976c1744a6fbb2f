#include "core/progress.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>

namespace mw {

namespace {
struct BarState {
  bool tty = false;
  std::map<std::string, int> last_quarter;
  std::chrono::steady_clock::time_point last_draw{};
  bool bar_open = false;
};
}  // namespace

Reporter console_reporter(bool quiet) {
  auto st = std::make_shared<BarState>();
  st->tty = ::isatty(STDERR_FILENO) != 0;
  Reporter r;
  r.log = [st, quiet](const std::string& line) {
    if (quiet) return;
    if (st->bar_open) std::fputs("\r\033[K", stderr);
    st->bar_open = false;
    std::fprintf(stderr, "%s\n", line.c_str());
  };
  r.progress = [st, quiet](const std::string& what, long done, long total) {
    if (quiet || total <= 0) return;
    if (st->tty) {
      auto now = std::chrono::steady_clock::now();
      if (done < total && now - st->last_draw < std::chrono::milliseconds(100)) return;
      st->last_draw = now;
      constexpr int kWidth = 30;
      int filled = static_cast<int>(kWidth * done / total);
      std::string bar(filled, '#');
      bar.resize(kWidth, '.');
      std::fprintf(stderr, "\r\033[K%s [%s] %ld/%ld", what.c_str(), bar.c_str(), done, total);
      st->bar_open = done < total;
      if (done >= total) std::fputc('\n', stderr);
    } else {
      int quarter = static_cast<int>(4 * done / total);
      const std::string step = what.substr(0, what.find(" ("));  // "scan (12 photos/s)" is step "scan"
      auto it = st->last_quarter.find(step);
      if (done == total || it == st->last_quarter.end() || it->second < quarter) {
        if (it != st->last_quarter.end() && it->second == 4 && done == total) return;
        st->last_quarter[step] = quarter;
        if (quarter > 0) std::fprintf(stderr, "%s: %ld/%ld\n", what.c_str(), done, total);
      }
      if (done >= total) st->last_quarter.erase(step);
    }
    std::fflush(stderr);
  };
  return r;
}

}  // namespace mw
