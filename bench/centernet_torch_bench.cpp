// The LibTorch CenterNet (detect/centernet_torch.h) on one batch of canvases:
// the median milliseconds of a forward pass (no gradients) and of a forward
// and backward pass (the sum of both head maps), fp32, NCHW and channels_last.
//   centernet_torch_bench [--batch 4] [--side 512] [--threads 2] [--runs 3]
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>

#include "detect/centernet.h"
#include "detect/centernet_torch.h"

namespace {

using Clock = std::chrono::steady_clock;

// The median of `runs` timed calls after one untimed, in milliseconds.
double median_ms(int runs, const std::function<void()>& f) {
  f();
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    const auto t0 = Clock::now();
    f();
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"LibTorch CenterNet forward and backward times"};
  int batch = 4, side = 512, threads = 2, runs = 3;
  app.add_option("--batch", batch, "canvases a batch");
  app.add_option("--side", side, "canvas side (a multiple of 32)");
  app.add_option("--threads", threads, "torch threads");
  app.add_option("--runs", runs, "timed runs (the median is printed)");
  CLI11_PARSE(app, argc, argv);
  torch::set_num_threads(threads);
  torch::manual_seed(0);
  const auto input = torch::rand({batch, 3, side, side}) * 255;
  torch::Tensor nchw_logits;  // the NCHW run's, to check the other layout against
  for (const bool channels_last : {false, true}) {
    mw::CenterNetTorch net(mw::load_centernet_weights(mw::centernet_dir()));
    auto x = input;
    if (channels_last) {
      torch::NoGradGuard g;
      for (auto& p : net->parameters())
        if (p.dim() == 4) p.set_data(p.contiguous(torch::MemoryFormat::ChannelsLast));
      x = input.contiguous(torch::MemoryFormat::ChannelsLast);
    }
    const double forward = median_ms(runs, [&] {
      torch::NoGradGuard g;
      net->forward(x);
    });
    double layout_difference = 0;
    {
      torch::NoGradGuard g;
      const auto logits = net->forward(x).logits.contiguous();
      if (!channels_last) nchw_logits = logits;
      layout_difference = (logits - nchw_logits).abs().max().item<double>() / nchw_logits.abs().max().item<double>();
    }
    const double backward = median_ms(runs, [&] {
      net->zero_grad();
      const auto out = net->forward(x);
      (out.logits.sum() + out.wh_raw.sum()).backward();
    });
    std::printf(
        "%s batch %d side %d threads %d: forward %.1f ms, forward+backward %.1f ms (median of %d); logits differ from "
        "NCHW's by %.2g of their largest\n",
        channels_last ? "channels_last" : "NCHW", batch, side, threads, forward, backward, runs, layout_difference);
  }
  return 0;
}
