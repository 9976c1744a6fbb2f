#include "model/runtime.h"

#include <ATen/Parallel.h>

#include <thread>
#include <vector>

#include "data/augment.h"
#include "maskwatch.h"

namespace mw {

int set_threads(int threads) {
  int n = threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(n);
  return n;
}

torch::Tensor crops_to_tensor(const std::uint8_t* crops, std::int64_t n, int size, const Normalisation& norm) {
  auto u8 = torch::from_blob(const_cast<std::uint8_t*>(crops), {n, size, size, 3}, torch::kUInt8);
  auto mean = torch::tensor({norm.mean[0], norm.mean[1], norm.mean[2]}).view({1, 3, 1, 1});
  auto inv = torch::tensor({norm.inv_scale[0], norm.inv_scale[1], norm.inv_scale[2]}).view({1, 3, 1, 1});
  return u8.permute({0, 3, 1, 2}).to(torch::kFloat).sub(mean).mul(inv).contiguous();
}

torch::Tensor logits_for_crops(NetworkImpl& net, const std::uint8_t* crops, std::int64_t n, int crop_size,
                               int input_size, int batch) {
  c10::InferenceMode inference;
  net.eval();
  const auto norm = net.normalisation();
  std::vector<torch::Tensor> out;
  std::vector<std::uint8_t> resized;
  const std::size_t in_bytes = static_cast<std::size_t>(crop_size) * crop_size * 3;
  const std::size_t out_bytes = static_cast<std::size_t>(input_size) * input_size * 3;
  for (std::int64_t i = 0; i < n; i += batch) {
    std::int64_t b = std::min<std::int64_t>(batch, n - i);
    const std::uint8_t* src = crops + i * in_bytes;
    if (crop_size != input_size) {
      resized.resize(b * out_bytes);
      for (std::int64_t j = 0; j < b; ++j)
        resize_crop(src + j * in_bytes, crop_size, resized.data() + j * out_bytes, input_size);
      src = resized.data();
    }
    out.push_back(net.forward(crops_to_tensor(src, b, input_size, norm)));
  }
  if (out.empty()) return torch::zeros({0, static_cast<std::int64_t>(kNumClasses)});
  return torch::cat(out);
}

}  // namespace mw
