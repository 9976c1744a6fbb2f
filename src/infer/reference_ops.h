// Naive versions of the plain engine's operators (infer/plain_ops.h), written
// straight from their definitions: nested loops over NHWC floats, sums in
// double, no pruned taps, no GEMM. The tests hold the engine against them.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "infer/plain_net.h"
#include "infer/plain_ops.h"

namespace mw::reference {

// (value - mean[c]) * inv_scale[c] for n RGB HWC crops of side `side`.
Activation normalize(const std::uint8_t* crops, int n, int side, const std::array<float, 3>& mean,
                     const std::array<float, 3>& inv_scale);
// y[b][oy][ox][co] = bias[co] + sum over ky, kx, j of
//   x[b][oy * stride - pad + ky][ox * stride - pad + kx][g * cin_g + j] * weight[ky][kx][j][co],
// x being zero outside the map, co in group g = co / (cout / groups), and
// cin_g = x.c / groups channels a group (dense: groups 1; depthwise: groups
// = channels). The output has (side + pad + pad_end - k) / stride + 1 rows
// and columns; pad_end -1 means pad_end = pad.
Activation conv2d(const Activation& x, const float* weight, const float* bias, int cout, int k, int stride, int pad,
                  int pad_end = -1, int groups = 1);
// y zero-padded at the bottom and right to r's size, plus r.
Activation add_residual(const Activation& y, const Activation& r);
// Each value through the activation, as PlainOp::Act defines it.
Activation activate(Activation x, PlainOp::Act a, float scale);
// a + b, value by value.
Activation add(const Activation& a, const Activation& b);
// y[b][i][j][c] = x[b][i][j][c] * s[b][0][0][c].
Activation mul_channels(const Activation& x, const Activation& s);
// Bilinear resize to twice the side, TensorFlow 1's legacy rule: output
// pixel o reads input coordinate o * in / out (no half-pixel offset), the
// neighbour after it clamped to the map.
Activation upsample2x(const Activation& x);
// The largest value in each k x k window, over the pixels inside the map.
Activation max_pool(const Activation& x, int k, int stride, int pad, int pad_end = -1);
// y[b][i][j] = the channels of parts[0][b][i][j], then of parts[1][b][i][j], ...
Activation concat(const std::vector<const Activation*>& parts);
// The mean of each k x k window (no padding); channels x.c .. cout-1 are zero.
Activation avg_pool(const Activation& x, int k, int stride, int cout);
// The mean of each channel over the map: [n][1][1][c].
Activation global_avg_pool(const Activation& x);
// y[b][co] = bias[co] + sum over i of x[b] flattened (h, w, c order)[i] * weight[i][co].
Activation linear(const Activation& x, const float* weight, const float* bias, int cout);

// The network's logits [n][classes], op by op with the operators above and
// the unpruned parameters.
std::vector<float> logits(const PlainNet& net, const std::uint8_t* crops, int n);
// Every buffer after the whole network has run (read a detector's at net.outputs).
std::vector<Activation> forward(const PlainNet& net, const std::uint8_t* images, int n);

}  // namespace mw::reference
