// What CenterNet is trained to give for a canvas's faces (Zhou et al. 2019,
// with TTFNet's elliptical Gaussians), on its stride-4 grid of C = S/4 cells:
//   heatmap    [C][C]: 1 at each face's centre cell (floor(centre / 4)), an
//              elliptical Gaussian around it whose radius grows with the
//              face (kGaussianAlpha x its half-size, at least one cell, so
//              that the smallest face is a peak with neighbours), the
//              largest where faces' Gaussians overlap;
//   distances  per face, at its centre cell's point (4x, 4y): (l, t, r, b)
//              to the box's edges in canvas pixels / kCenterNetBoxScale,
//              what the box branch gives (centernet_decode reads them so).
// Every face gets its cell, however small. Faces are written largest first,
// so where two share a cell the smaller one's distances are the last.
#pragma once
#include <array>
#include <vector>

#include "maskwatch.h"

namespace mw {

inline constexpr float kGaussianAlpha = 0.54f;  // TTFNet's radius factor

struct CenterNetTargets {
  int cells = 0;
  std::vector<float> heatmap;  // [cells][cells]
  struct Face {
    int cell;                        // y * cells + x
    std::array<float, 4> distances;  // l, t, r, b / kCenterNetBoxScale
    Box box;                         // as given, clipped to the canvas
  };
  std::vector<Face> faces;  // largest first
};

// The targets of faces (boxes in canvas pixels) on a canvas of side `side`
// (a multiple of 4). Boxes are clipped to the canvas; one with nothing left is skipped.
CenterNetTargets centernet_targets(const std::vector<Box>& faces, int side);

}  // namespace mw
