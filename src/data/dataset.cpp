#include "data/dataset.h"

#include <algorithm>
#include <filesystem>
#include <map>

#include "core/hash.h"
#include "core/paths.h"
#include "data/image_decode.h"
#include "data/voc.h"

namespace fs = std::filesystem;

namespace mw {

namespace {

json file_json(const StoredFile& f) { return {{"key", f.key}, {"size", f.size}, {"sha256", f.sha256}}; }

StoredFile file_from_json(const json& j) {
  return {j.at("key").get<std::string>(), j.at("size").get<std::uint64_t>(), j.at("sha256").get<std::string>()};
}

// Every file the index names lies under its generation and has a full SHA-256.
void check_files(const DatasetIndex& idx, const std::string& where) {
  constexpr std::size_t kSha256HexDigits = 64;
  const std::string prefix = raw_key(idx.generation, "");
  for (const auto& r : idx.images)
    for (const StoredFile* f : {&r.image, &r.annotation})
      if (f->key.rfind(prefix, 0) != 0 || f->sha256.size() != kSha256HexDigits)
        throw Error(where, "corrupt dataset index: " + f->key + " is not a file of generation " + idx.generation +
                               " with a SHA-256");
}

}  // namespace

json DatasetIndex::to_json() const {
  json arr = json::array();
  for (const auto& r : images) {
    json boxes = json::array();
    for (std::size_t i = 0; i < r.boxes.size(); ++i) {
      const auto& b = r.boxes[i];
      boxes.push_back({b.xmin, b.ymin, b.xmax, b.ymax, r.labels[i]});
    }
    arr.push_back({{"stem", r.stem},
                   {"image", file_json(r.image)},
                   {"annotation", file_json(r.annotation)},
                   {"width", r.width},
                   {"height", r.height},
                   {"boxes", boxes}});
  }
  return {{"format", kIndexFormat}, {"generation", generation}, {"labels", class_names()}, {"images", arr}};
}

DatasetIndex DatasetIndex::from_json(const json& j) {
  DatasetIndex idx;
  idx.generation = j.at("generation");
  for (const auto& e : j.at("images")) {
    ImageRecord r;
    r.stem = e.at("stem");
    r.image = file_from_json(e.at("image"));
    r.annotation = file_from_json(e.at("annotation"));
    r.width = e.at("width");
    r.height = e.at("height");
    for (const auto& b : e.at("boxes")) {
      r.boxes.push_back({b[0], b[1], b[2], b[3]});
      r.labels.push_back(b[4]);
    }
    idx.images.push_back(std::move(r));
  }
  return idx;
}

DatasetIndex load_index(const ObjectStore& store) {
  const std::string where = store.uri() + "/" + kIndexKey;
  if (!store.exists(kIndexKey)) throw Error(where, "no dataset index: run 'maskwatch ingest' first");
  try {
    auto j = json::parse(store.get(kIndexKey));
    if (!j.is_object() || j.value("format", 1) != kIndexFormat)
      throw Error(where,
                  "dataset index written by an older maskwatch (raw files without a generation, sizes or "
                  "SHA-256): run 'maskwatch ingest' again");
    auto idx = DatasetIndex::from_json(j);
    check_files(idx, where);
    return idx;
  } catch (const json::exception& e) {
    throw Error(where, std::string("corrupt dataset index: ") + e.what());
  }
}

std::string raw_key(const std::string& generation, const std::string& relative) {
  return kRawPrefix + generation + "/" + relative;
}

std::string read_verified(const ObjectStore& store, const StoredFile& file) {
  const std::string where = store.uri() + "/" + file.key;
  const std::string advice = ": the store changed after ingest; run 'maskwatch ingest' again";
  auto bytes = store.get(file.key);
  if (bytes.size() != file.size)
    throw Error(where, "file is " + std::to_string(bytes.size()) + " bytes but the dataset index says " +
                           std::to_string(file.size) + advice);
  if (sha256_hex(bytes) != file.sha256) throw Error(where, "SHA-256 differs from the dataset index's" + advice);
  return bytes;
}

cv::Mat decode_rgb(const std::string& bytes, const std::string& source) {
  if (bytes.empty()) throw Error(source, "empty image file");
  if (bytes.size() > kMaxImageBytes)
    throw Error(source, "image file over " + std::to_string(kMaxImageBytes) + " bytes");
  return decode_image_rgb(bytes, source, {kMaxImagePixels, kMaxImageSide});
}

namespace {

// Natural order: maksssksksss2 before maksssksksss10.
bool natural_less(const std::string& a, const std::string& b) {
  auto split = [](const std::string& s) {
    auto p = s.find_last_not_of("0123456789");
    std::string head = s.substr(0, p + 1);
    long num = p + 1 < s.size() ? std::stol(s.substr(p + 1, 15)) : -1;
    return std::make_pair(head, num);
  };
  auto sa = split(a), sb = split(b);
  return sa != sb ? sa < sb : a < b;
}

using ImagesByStem = std::map<std::string, std::vector<fs::path>>;

// Every file in images/ by stem, each stem's files in name order: a.jpg and
// a.png are both kept, so that the one not ingested can be reported.
ImagesByStem images_by_stem(const fs::path& img_dir) {
  ImagesByStem images;
  for (const auto& e : fs::directory_iterator(img_dir))
    if (e.is_regular_file()) images[e.path().stem().string()].push_back(e.path());
  for (auto& [stem, files] : images) std::sort(files.begin(), files.end());
  return images;
}

// Of the files sharing a stem: the one the annotation's <filename> names, else the first by name.
const fs::path& pick_image(const std::vector<fs::path>& files, const std::string& annotated_name) {
  for (const auto& f : files)
    if (f.filename().string() == annotated_name) return f;
  return files.front();
}

std::string same_stem_reason(const fs::path& dropped, const fs::path& kept) {
  return "image has the same stem as " + kept.string() + " (" + dropped.filename().string() + ", " +
         kept.filename().string() + "); only " + kept.filename().string() + " is ingested with the annotation";
}

void put_if_changed(ObjectStore& store, const std::string& key, const std::string& bytes) {
  auto h = store.head(key);
  if (h && h->size == bytes.size() && store.get(key) == bytes) return;
  store.put(key, bytes);
}

StoredFile stored_file(const std::string& relative, const std::string& bytes) {
  return {relative, bytes.size(), sha256_hex(bytes)};
}

// Where an accepted record's files come from: the image is read again when it
// is written, the annotation (small) is kept.
struct Source {
  std::string image_path;
  std::string xml;
};

// What the scan of the dataset folder found: the index (keys relative to the
// generation until it is known), the sources, the counts and the rejects.
struct Scan {
  Scan(const IngestOptions& o, const Reporter& r) : opt(o), rep(r) {}
  const IngestOptions& opt;
  const Reporter& rep;
  DatasetIndex index;
  std::vector<Source> sources;
  json rejects = json::array();
  std::array<long, kNumClasses> per_class{};
  long boxes = 0, clipped = 0, rejected_boxes = 0, rejected_images = 0;

  void reject(const std::string& file, const std::string& reason, const char* kind) {
    rejects.push_back({{"file", file}, {"reason", reason}, {"kind", kind}});
    rep.say(std::string("rejected ") + kind + ": " + file + ": " + reason);
    if (opt.strict) throw Error(file, reason);
  }
};

// The record of one image whose annotation parsed and whose size matches it.
ImageRecord make_record(Scan& scan, const VocAnnotation& ann, const std::string& xml_path) {
  ImageRecord rec;
  rec.width = ann.width;
  rec.height = ann.height;
  for (const auto& o : ann.objects) {
    auto c = check_object(o, ann.width, ann.height);
    if (c.status == BoxStatus::unknown_class || c.status == BoxStatus::empty) {
      ++scan.rejected_boxes;
      scan.reject(xml_path + ":" + std::to_string(o.line), c.reason, "box");
      continue;
    }
    if (c.status == BoxStatus::clipped) ++scan.clipped;
    rec.boxes.push_back(c.box);
    rec.labels.push_back(c.label);
    ++scan.per_class[c.label];
    ++scan.boxes;
  }
  return rec;
}

// Reads and checks one annotation and its image; returns the image chosen
// among those sharing the stem (nullptr when there is none).
const fs::path* scan_one(Scan& scan, const std::string& stem, const fs::path& ann_dir, const fs::path& img_dir,
                         const std::vector<fs::path>* files) {
  auto xml_path = (ann_dir / (stem + ".xml")).string();
  const fs::path* chosen = files ? &files->front() : nullptr;
  try {
    auto xml = read_file(xml_path, kMaxAnnotationBytes);
    auto ann = parse_voc(xml, xml_path);
    if (!files) throw Error(xml_path, "no image named " + stem + ".* in " + img_dir.string());
    chosen = &pick_image(*files, ann.filename);
    auto img_path = chosen->string();
    if (static_cast<long>(ann.width) * ann.height > kMaxImagePixels)
      throw Error(xml_path, "declared image size is over " + std::to_string(kMaxImagePixels) + " pixels");
    auto bytes = read_file(img_path, kMaxImageBytes);
    auto rgb = decode_rgb(bytes, img_path);
    if (rgb.cols != ann.width || rgb.rows != ann.height)
      throw Error(img_path, "image is " + std::to_string(rgb.cols) + "x" + std::to_string(rgb.rows) +
                                " but its annotation says " + std::to_string(ann.width) + "x" +
                                std::to_string(ann.height));
    ImageRecord rec = make_record(scan, ann, xml_path);
    rec.stem = stem;
    rec.image = stored_file("images/" + chosen->filename().string(), bytes);
    rec.annotation = stored_file("annotations/" + stem + ".xml", xml);
    scan.index.images.push_back(std::move(rec));
    scan.sources.push_back({img_path, std::move(xml)});
  } catch (const Error& e) {
    ++scan.rejected_images;
    scan.reject(e.where(), e.reason(), "image");
  }
  return chosen;
}

void scan_folder(Scan& scan, const std::vector<std::string>& stems, const fs::path& ann_dir, const fs::path& img_dir) {
  ImagesByStem images = images_by_stem(img_dir);
  long done = 0;
  for (const auto& stem : stems) {
    scan.rep.tick("ingest", ++done, static_cast<long>(stems.size()));
    auto it = images.find(stem);
    const fs::path* chosen = scan_one(scan, stem, ann_dir, img_dir, it == images.end() ? nullptr : &it->second);
    if (it == images.end()) continue;
    for (const auto& other : it->second)
      if (other != *chosen) {
        ++scan.rejected_images;
        scan.reject(other.string(), same_stem_reason(other, *chosen), "image");
      }
    images.erase(it);  // judged with its annotation
  }
  for (const auto& [stem, files] : images)
    for (const auto& path : files) {
      ++scan.rejected_images;
      scan.reject(path.string(), "image has no annotation in " + ann_dir.string(), "image");
    }
}

// The generation's name: a hash of every file's name, size and SHA-256, so
// that the same data ingested again lands where it already is.
std::string generation_of(const DatasetIndex& index) {
  std::string listing;
  for (const auto& r : index.images)
    for (const StoredFile* f : {&r.image, &r.annotation})
      listing += f->key + " " + std::to_string(f->size) + " " + f->sha256 + "\n";
  return sha256_hex(listing).substr(0, kGenerationHexDigits);
}

// Writes every accepted file under raw/<generation>/ and gives the index
// those keys. Keys of other generations (the one the current index names
// among them) are not touched.
void write_generation(ObjectStore& store, Scan& scan) {
  const auto& generation = scan.index.generation;
  for (std::size_t i = 0; i < scan.index.images.size(); ++i) {
    auto& rec = scan.index.images[i];
    const auto& src = scan.sources[i];
    auto bytes = read_file(src.image_path, kMaxImageBytes);
    if (bytes.size() != rec.image.size || sha256_hex(bytes) != rec.image.sha256)
      throw Error(src.image_path, "image changed while ingest ran: run 'maskwatch ingest' again");
    rec.image.key = raw_key(generation, rec.image.key);
    rec.annotation.key = raw_key(generation, rec.annotation.key);
    put_if_changed(store, rec.image.key, bytes);
    put_if_changed(store, rec.annotation.key, src.xml);
  }
}

// After the switch: every raw/ key outside the current generation (older
// generations, an ingest that stopped half-way, the layout without generations).
void remove_other_generations(ObjectStore& store, const std::string& generation) {
  const std::string keep = raw_key(generation, "");
  for (const auto& obj : store.list(kRawPrefix))
    if (obj.key.rfind(keep, 0) != 0) store.remove(obj.key);
}

json ingest_report(const Scan& scan, const fs::path& dir, const ObjectStore& store, std::size_t annotations) {
  json pc;
  for (int k = 0; k < kNumClasses; ++k) pc[class_names()[k]] = scan.per_class[k];
  return {{"data_dir", fs::absolute(dir).lexically_normal().string()},
          {"store", store.uri()},
          {"generation", scan.index.generation},
          {"annotations", annotations},
          {"images", scan.index.images.size()},
          {"boxes", scan.boxes},
          {"boxes_per_class", pc},
          {"boxes_clipped", scan.clipped},
          {"rejected_images", scan.rejected_images},
          {"rejected_boxes", scan.rejected_boxes},
          {"rejects", scan.rejects},
          {"created_at", utc_now_iso()}};
}

}  // namespace

json ingest_into(ObjectStore& store, const IngestOptions& opt, const Reporter& rep) {
  fs::path dir(opt.data_dir), ann_dir = dir / "annotations", img_dir = dir / "images";
  if (!fs::is_directory(dir)) throw Error(opt.data_dir, "dataset folder does not exist");
  if (!fs::is_directory(ann_dir) || !fs::is_directory(img_dir))
    throw Error(opt.data_dir, "not a Pascal VOC dataset folder: expected images/ and annotations/ inside");

  std::vector<std::string> stems;
  for (const auto& e : fs::directory_iterator(ann_dir))
    if (e.is_regular_file() && e.path().extension() == ".xml") stems.push_back(e.path().stem().string());
  if (stems.empty()) throw Error(ann_dir.string(), "no .xml annotations found");
  std::sort(stems.begin(), stems.end(), natural_less);

  Scan scan(opt, rep);
  scan_folder(scan, stems, ann_dir, img_dir);
  scan.index.generation = generation_of(scan.index);
  write_generation(store, scan);
  store.put(kIndexKey, scan.index.to_json().dump());  // the switch: readers see the old index or this one
  remove_other_generations(store, scan.index.generation);
  auto report = ingest_report(scan, dir, store, stems.size());
  store.put(kIngestReportKey, report.dump(2));
  return report;
}

json ingest(const IngestOptions& opt, const Reporter& rep) {
  auto store = open_store(opt.store);
  return ingest_into(*store, opt, rep);
}

}  // namespace mw
