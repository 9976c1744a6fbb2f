// maskwatch predict: find the faces in ordinary photos and label each (the
// face detector, then the classifier), the models loaded once for them all.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>

#include "api/faces.h"
#include "cli/cli.h"
#include "core/paths.h"
#include "detect/detector_artifact.h"
#include "server/annotate.h"

namespace fs = std::filesystem;

namespace mw::cli {

namespace {

// The exit status when --out would replace photos or files: nothing is done.
inline constexpr int kExitRefused = 2;
// How many existing files a refusal names before it counts the rest.
inline constexpr std::size_t kExistingNamed = 3;

struct PredictArgs {
  std::vector<std::string> inputs;
  std::string model = "latest", out_dir;
  DetectionArgs detection;
  double min_confidence = 0;
  bool lines = false, overwrite = false;
};

bool is_photo(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png";
}

// A photo to do, or an entry of a folder that cannot be: the run reports it
// by name and counts it as failed, and the other photos go on.
struct PhotoInput {
  std::string path;
  std::string error;  // why it cannot be read; "" for a photo to try
  bool operator<(const PhotoInput& o) const { return path < o.path; }
};

// A folder entry named as a photo: a photo when it is a file; reported when
// what it names cannot be told (a symbolic link to nothing or in a loop, a
// folder that cannot be searched); skipped when it is a folder or a device.
void add_folder_entry(const fs::directory_entry& e, std::vector<PhotoInput>& found) {
  if (!is_photo(e.path())) return;
  std::error_code ec;
  const fs::file_status st = e.status(ec);
  if (fs::is_regular_file(st))
    found.push_back({e.path().string(), ""});
  else if (ec || !fs::exists(st))
    found.push_back({e.path().string(), "cannot read: " + (ec ? ec.message() : std::string("no such file"))});
}

// A folder's JPEG and PNG files, sorted (not recursive); a folder that cannot
// be listed, in full or at all, is reported with what it gave.
std::vector<PhotoInput> list_folder(const std::string& dir) {
  std::vector<PhotoInput> found;
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  while (!ec && it != fs::directory_iterator()) {
    add_folder_entry(*it, found);
    it.increment(ec);
  }
  std::sort(found.begin(), found.end());
  if (ec) found.push_back({dir, "cannot be listed: " + ec.message()});
  if (found.empty()) throw Error(dir, "holds no .jpg, .jpeg or .png photo");
  return found;
}

// The photos named, a folder standing for its JPEG and PNG files.
std::vector<PhotoInput> expand(const std::vector<std::string>& inputs) {
  std::vector<PhotoInput> out;
  for (const auto& in : inputs) {
    std::error_code ec;
    if (!fs::is_directory(in, ec)) {  // a file, or a path that cannot be read: the read names why
      out.push_back({in, ""});
      continue;
    }
    const auto found = list_folder(in);
    out.insert(out.end(), found.begin(), found.end());
  }
  return out;
}

// The photos to try (the entries already known bad left out).
std::vector<std::string> photos_to_try(const std::vector<PhotoInput>& inputs) {
  std::vector<std::string> out;
  for (const auto& in : inputs)
    if (in.error.empty()) out.push_back(in.path);
  return out;
}

void make_out_dir(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error(dir, "cannot be made: " + ec.message());
}

void print_photo(const std::string& path, const json& faces) {
  std::cout << path << ": " << faces.size() << " face" << (faces.size() == 1 ? "" : "s") << "\n";
  for (const auto& f : faces) {
    const auto& b = f["box"];
    const auto label = f["label"].get<std::string>();
    std::cout << "  [" << fixed(b[0], 0) << "," << fixed(b[1], 0) << "," << fixed(b[2], 0) << "," << fixed(b[3], 0)
              << "] " << label << " " << fixed(f["confidence"].get<double>(), 3) << " (face "
              << fixed(f["face_score"].get<double>(), 2) << ")\n";
  }
}

// Where the annotated copy of `path` goes: <out>/<stem>.jpg.
std::string annotated_path(const std::string& out_dir, const std::string& path) {
  return (fs::path(out_dir) / (fs::path(path).stem().string() + ".jpg")).lexically_normal().string();
}

// `p` absolute, its links resolved as far as it exists, without a trailing
// separator: "./dir" and "dir/" come out the same.
fs::path normal_path(const fs::path& p) {
  std::error_code ec;
  fs::path n = fs::weakly_canonical(p, ec);
  if (ec) n = fs::absolute(p, ec).lexically_normal();
  if (!n.has_filename() && n != n.root_path()) n = n.parent_path();
  return n;
}

// Whether two paths name one file: the same file on disk when both exist, else the same normal path.
bool same_file(const fs::path& a, const fs::path& b) {
  std::error_code ec;
  return fs::equivalent(a, b, ec) || normal_path(a) == normal_path(b);
}

bool path_exists(const fs::path& p) {
  std::error_code ec;
  return fs::exists(fs::symlink_status(p, ec));
}

// --out being one of the folders named as input.
std::string out_is_input_folder(const std::vector<std::string>& inputs, const std::string& out_dir) {
  std::error_code ec;
  for (const auto& in : inputs)
    if (fs::is_directory(in, ec) && same_file(in, out_dir))
      return "--out " + out_dir + " is the input folder " + in +
             ": the annotated copies would replace its photos; choose another --out folder";
  return "";
}

// An annotated copy that would replace its own photo, or two photos written to one name.
std::string clashing_outputs(const std::vector<std::string>& photos, const std::string& out_dir) {
  std::map<fs::path, std::string> written_by;  // normal output path -> the photo written there
  for (const auto& photo : photos) {
    const std::string out = annotated_path(out_dir, photo);
    if (same_file(out, photo))
      return "the annotated copy of " + photo + " would replace it (" + out + "); choose another --out folder";
    const auto [it, fresh] = written_by.emplace(normal_path(out), photo);
    if (!fresh)
      return it->second + " and " + photo + " would both be written as " + out +
             "; rename one, or predict them in separate runs";
  }
  return "";
}

// The annotated copies whose file exists already.
std::string existing_outputs(const std::vector<std::string>& photos, const std::string& out_dir) {
  std::vector<std::string> existing;
  for (const auto& photo : photos)
    if (const std::string out = annotated_path(out_dir, photo); path_exists(out)) existing.push_back(out);
  if (existing.empty()) return "";
  std::string named;
  for (std::size_t i = 0; i < std::min(existing.size(), kExistingNamed); ++i) named += (i ? ", " : "") + existing[i];
  const std::size_t more = existing.size() - std::min(existing.size(), kExistingNamed);
  return std::to_string(existing.size()) + " of the annotated copies exist already: " + named +
         (more ? " and " + std::to_string(more) + " more" : "") + "; --overwrite replaces them";
}

// Why writing the annotated copies into --out would harm the photos or other
// files, or "" when it would not.
std::string refuse_outputs(const PredictArgs& a, const std::vector<std::string>& photos) {
  if (a.out_dir.empty()) return "";
  std::error_code ec;
  if (path_exists(a.out_dir) && !fs::is_directory(a.out_dir, ec)) return "--out " + a.out_dir + " is not a folder";
  std::string why = out_is_input_folder(a.inputs, a.out_dir);
  if (why.empty()) why = clashing_outputs(photos, a.out_dir);
  if (why.empty() && !a.overwrite) why = existing_outputs(photos, a.out_dir);
  return why;
}

}  // namespace

Run add_predict(CLI::App& app, const Globals& g) {
  auto* c = app.add_subcommand("predict", "find the faces in photos and label each (no boxes needed)");
  auto a = std::make_shared<PredictArgs>();
  c->add_option("photos", a->inputs, "photos (JPEG or PNG) or folders of them")->required();
  c->add_option("--model", a->model, "classifier: model id or 'latest'")->capture_default_str();
  add_detection_options(*c, a->detection);
  c->add_option("--min-confidence", a->min_confidence, "answer 'unsure' for a face less sure than this (0..1)")
      ->capture_default_str()
      ->check(between(0, 1));
  c->add_option("--out", a->out_dir,
                "write an annotated copy of each photo here (<name>.jpg); never an input folder, and no file in it "
                "is replaced without --overwrite");
  c->add_flag("--overwrite", a->overwrite, "replace annotated copies that exist already in --out");
  c->add_flag("--jsonl", a->lines, "one JSON line per photo as it is done (for many photos)");
  return [&g, a] {
    const auto photos = expand(a->inputs);
    if (const std::string why = refuse_outputs(*a, photos_to_try(photos)); !why.empty()) {
      std::cerr << "error: " << why << "\n";
      return kExitRefused;
    }
    require_store(g.store);
    if (!a->out_dir.empty()) make_out_dir(a->out_dir);
    const FaceLabeller labeller = open_labeller(labeller_parts(g, a->model, a->detection));
    const auto& labels = labeller.labels();
    const Reporter rep = reporter(g);
    json all = json::array();
    std::size_t failed = 0;
    for (std::size_t i = 0; i < photos.size(); ++i) {
      const std::string& path = photos[i].path;
      json row = {{"image", path}};
      try {
        if (!photos[i].error.empty()) throw Error(path, photos[i].error);
        FacesRequest req;
        req.source = path, req.image = read_file(path, kMaxImageBytes), req.detect = true;
        req.min_face = a->detection.min_face, req.min_confidence = a->min_confidence;
        const cv::Mat rgb = decode_request_image(req);
        const auto faces = run_faces_request(labeller, req, rgb);
        row["width"] = rgb.cols, row["height"] = rgb.rows, row["faces"] = faces_json(faces, labels);
        if (!a->out_dir.empty())
          write_file_atomic(annotated_path(a->out_dir, path), annotated_jpeg(rgb, faces, labels));
        if (!g.json && !a->lines) print_photo(path, row["faces"]);
      } catch (...) {  // one photo's failure is that photo's: the rest go on
        ++failed;
        const auto e = request_error(std::current_exception());
        row["error"] = e.message.find(path) == std::string::npos ? path + ": " + e.message : e.message;
        std::cerr << "error: " << row["error"].get<std::string>() << "\n";
      }
      if (a->lines) std::cout << row.dump() << "\n" << std::flush;
      all.push_back(std::move(row));
      rep.tick("predict", static_cast<long>(i + 1), static_cast<long>(photos.size()));
    }
    if (g.json && !a->lines) print_json(all);
    if (failed) std::cerr << failed << " of " << photos.size() << " photos failed\n";
    return failed ? 1 : 0;
  };
}

}  // namespace mw::cli
