// Schedule expressions: parse_schedule, then the next fire times and the description.
#include "fuzz.h"
#include "jobs/schedule_expr.h"

namespace {
constexpr std::int64_t kStart = 1700000000;  // 2023-11-14, UTC seconds
constexpr int kFires = 3;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  mw::fuzz::accept_or_reject([&] {
    const auto schedule = mw::parse_schedule(mw::fuzz::bytes_of(data, size));
    mw::describe(schedule);
    std::optional<std::int64_t> at = kStart;
    for (int i = 0; i < kFires && at; ++i) at = mw::next_fire(schedule, *at, kStart);
  });
  return 0;
}
