// maskwatch classify: label the faces in photos, given their boxes.
#include <filesystem>
#include <iostream>

#include "api/face_labeller.h"
#include "api/faces.h"
#include "cli/cli.h"
#include "core/paths.h"
#include "detect/detector_artifact.h"

namespace fs = std::filesystem;

namespace mw::cli {

namespace {

struct ClassifyArgs {
  std::vector<std::string> images, boxes_text, box_files;
  std::string model = "latest";
  std::string min_confidence = "0";
  bool whole = false;
  std::string whole_rule = "auto";
  std::string detector = "latest";
};

void check_args(const ClassifyArgs& a) {
  const int sources = (a.box_files.empty() ? 0 : 1) + (a.boxes_text.empty() ? 0 : 1) + (a.whole ? 1 : 0);
  if (sources != 1) throw Error("classify", "give the faces by exactly one of --boxes, --box, --whole-image");
  if (!a.box_files.empty() && a.box_files.size() != 1 && a.box_files.size() != a.images.size())
    throw Error("classify --boxes", "give one annotation per image, or one folder");
  check_box_count(a.boxes_text.size(), "classify --box");
}

// The --box values, parsed once for every image.
std::vector<Box> given_boxes(const ClassifyArgs& a) {
  std::vector<Box> boxes;
  for (const auto& b : a.boxes_text) boxes.push_back(parse_box(b, "--box"));
  return boxes;
}

// The request for the i-th image: its bytes and its boxes (`given`, or its annotation).
FacesRequest request_for(const ClassifyArgs& a, std::size_t i, const std::vector<Box>& given) {
  FacesRequest req;
  req.source = a.images[i];
  req.image = read_file(a.images[i], kMaxImageBytes);
  req.whole_image = a.whole;
  req.whole_image_rule = a.whole_rule;
  req.boxes = given;
  if (!a.box_files.empty()) {
    std::string xml = a.box_files.size() == 1 ? a.box_files[0] : a.box_files[i];
    if (fs::is_directory(xml)) xml = (fs::path(xml) / (fs::path(a.images[i]).stem().string() + ".xml")).string();
    req.boxes = read_voc_boxes(xml);
    check_box_count(req.boxes.size(), xml);
  }
  return req;
}

void print_faces(const std::string& path, const json& faces) {
  std::cout << path << ": " << faces.size() << " face" << (faces.size() == 1 ? "" : "s") << "\n";
  for (const auto& f : faces) {
    const auto& b = f["box"];
    std::cout << "  [" << b[0] << "," << b[1] << "," << b[2] << "," << b[3] << "] " << f["label"].get<std::string>();
    if (f.contains("guess")) std::cout << " (best guess " << f["guess"].get<std::string>() << ")";
    std::cout << " " << fixed(f["confidence"].get<double>(), 3) << "\n";
    if (f.contains("framing")) std::cout << "  framing: " << f["framing"].get<std::string>() << "\n";
  }
}

}  // namespace

Run add_classify(CLI::App& app, const Globals& g) {
  auto* c = app.add_subcommand("classify", "label the faces in images, given their boxes");
  auto a = std::make_shared<ClassifyArgs>();
  c->add_option("images", a->images, "image files (JPEG or PNG)")->required();
  c->add_option("--model", a->model, "model id or 'latest'")->capture_default_str();
  c->add_option("--boxes", a->box_files, "Pascal VOC annotation per image (or a folder of <image-name>.xml files)")
      ->allow_extra_args(false);
  c->add_option("--box", a->boxes_text, "a face box XMIN,YMIN,XMAX,YMAX (repeatable, applies to every image)")
      ->allow_extra_args(false);
  c->add_flag("--whole-image", a->whole, "each image is one face, framed by --whole-image-rule");
  c->add_option("--whole-image-rule", a->whole_rule,
                "how --whole-image frames the face: face (the face detector's largest face with the model's "
                "margin; the whole image when it finds none) | image (the whole image) | centre (its centred "
                "square) | auto (" +
                    std::string(kWholeImageRule) + ", the rule that measured best)")
      ->capture_default_str();
  add_detector_option(*c, a->detector);
  c->add_option("--min-confidence", a->min_confidence,
                "answer 'unsure' for a face whose calibrated confidence is under this (0 to 1)")
      ->capture_default_str();
  return [&g, a] {
    check_args(*a);
    const double min_confidence = parse_min_confidence(a->min_confidence, "classify --min-confidence");
    const std::vector<Box> given = given_boxes(*a);
    require_store(g.store);
    // The face detector, only where the whole-image rule needs it.
    LabellerParts parts{g.store, a->model, g.threads};
    parts.with_detector = a->whole && applied_whole_image_rule(a->whole_rule, "classify --whole-image-rule") == "face";
    parts.detector = a->detector;
    const FaceLabeller labeller = open_labeller(parts);
    json out = json::array();
    std::size_t failed = 0;
    for (std::size_t i = 0; i < a->images.size(); ++i) {
      const std::string& path = a->images[i];
      try {
        FacesRequest req = request_for(*a, i, given);
        req.min_confidence = min_confidence;
        const cv::Mat rgb = decode_request_image(req);
        json faces = faces_json(run_faces_request(labeller, req, rgb), labeller.labels());
        if (!g.json) print_faces(path, faces);
        out.push_back({{"image", path}, {"faces", faces}});
      } catch (...) {  // one image's failure, whatever it is, is that image's: the rest go on
        ++failed;
        const auto e = request_error(std::current_exception());
        const std::string message = e.message.find(path) == std::string::npos ? path + ": " + e.message : e.message;
        std::cerr << "error: " << message << "\n";
        out.push_back({{"image", path}, {"error", message}});
      }
    }
    if (g.json) print_json(out);
    if (failed) std::cerr << failed << " of " << a->images.size() << " images failed\n";
    return failed ? 1 : 0;
  };
}

}  // namespace mw::cli
