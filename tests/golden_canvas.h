// What the tests against TF.js goldens (tests/golden/, made by
// tools/detector-probe) share: the golden file, and a dataset photo on the
// canvas the golden's run saw.
#pragma once
#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "core/paths.h"
#include "data/image_decode.h"
#include "fixture.h"
#include "maskwatch.h"

namespace tfjs_golden {

inline mw::json read(const std::string& name) {
  const auto path = std::filesystem::path(MASKWATCH_SOURCE_DIR) / "tests" / "golden" / name;
  return mw::json::parse(mw::read_file(path.string()));
}

// The photo `stem`, decoded as maskwatch decodes, at the top left of side x side zeros (cut to the canvas).
inline std::vector<std::uint8_t> canvas_of(const std::string& stem, int side) {
  const std::string path = fixture::data_dir() + "/images/" + stem + ".jpg";
  const cv::Mat rgb = mw::decode_image_rgb(mw::read_file(path), path, {1L << 26, 1 << 14});
  std::vector<std::uint8_t> canvas(static_cast<std::size_t>(side) * side * 3, 0);
  for (int y = 0; y < std::min(rgb.rows, side); ++y)
    std::copy_n(rgb.ptr<std::uint8_t>(y), std::min(rgb.cols, side) * 3,
                canvas.data() + static_cast<std::size_t>(y) * side * 3);
  return canvas;
}

}  // namespace tfjs_golden
