#include "data/dataset.h"

#include <algorithm>
#include <filesystem>
#include <map>

#include "core/paths.h"
#include "data/image_decode.h"
#include "data/voc.h"

namespace fs = std::filesystem;

namespace mw {

json DatasetIndex::to_json() const {
  json arr = json::array();
  for (const auto& r : images) {
    json boxes = json::array();
    for (std::size_t i = 0; i < r.boxes.size(); ++i) {
      const auto& b = r.boxes[i];
      boxes.push_back({b.xmin, b.ymin, b.xmax, b.ymax, r.labels[i]});
    }
    arr.push_back(
        {{"stem", r.stem}, {"image", r.image_key}, {"width", r.width}, {"height", r.height}, {"boxes", boxes}});
  }
  return {{"labels", class_names()}, {"images", arr}};
}

DatasetIndex DatasetIndex::from_json(const json& j) {
  DatasetIndex idx;
  for (const auto& e : j.at("images")) {
    ImageRecord r;
    r.stem = e.at("stem");
    r.image_key = e.at("image");
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
  if (!store.exists(kIndexKey))
    throw Error(store.uri() + "/" + kIndexKey, "no dataset index: run 'maskwatch ingest' first");
  try {
    return DatasetIndex::from_json(json::parse(store.get(kIndexKey)));
  } catch (const json::exception& e) {
    throw Error(store.uri() + "/" + kIndexKey, std::string("corrupt dataset index: ") + e.what());
  }
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

}  // namespace

json ingest(const IngestOptions& opt, const Reporter& rep) {
  fs::path dir(opt.data_dir), ann_dir = fs::path(opt.data_dir) / "annotations",
                              img_dir = fs::path(opt.data_dir) / "images";
  if (!fs::is_directory(dir)) throw Error(opt.data_dir, "dataset folder does not exist");
  if (!fs::is_directory(ann_dir) || !fs::is_directory(img_dir))
    throw Error(opt.data_dir, "not a Pascal VOC dataset folder: expected images/ and annotations/ inside");

  std::vector<std::string> stems;
  for (const auto& e : fs::directory_iterator(ann_dir))
    if (e.is_regular_file() && e.path().extension() == ".xml") stems.push_back(e.path().stem().string());
  ImagesByStem images = images_by_stem(img_dir);
  if (stems.empty()) throw Error(ann_dir.string(), "no .xml annotations found");
  std::sort(stems.begin(), stems.end(), natural_less);

  auto store = open_store(opt.store);
  DatasetIndex index;
  json rejects = json::array();
  std::array<long, kNumClasses> per_class{};
  long boxes = 0, clipped = 0, rejected_boxes = 0, rejected_images = 0;
  auto reject = [&](const std::string& file, const std::string& reason, const char* kind) {
    rejects.push_back({{"file", file}, {"reason", reason}, {"kind", kind}});
    rep.say(std::string("rejected ") + kind + ": " + file + ": " + reason);
    if (opt.strict) throw Error(file, reason);
  };

  long done = 0;
  for (const auto& stem : stems) {
    rep.tick("ingest", ++done, static_cast<long>(stems.size()));
    auto xml_path = (ann_dir / (stem + ".xml")).string();
    auto it = images.find(stem);
    const fs::path* chosen = it == images.end() ? nullptr : &it->second.front();
    try {
      auto xml = read_file(xml_path, kMaxAnnotationBytes);
      auto ann = parse_voc(xml, xml_path);
      if (it == images.end()) throw Error(xml_path, "no image named " + stem + ".* in " + img_dir.string());
      chosen = &pick_image(it->second, ann.filename);
      auto img_path = chosen->string();
      if (static_cast<long>(ann.width) * ann.height > kMaxImagePixels)
        throw Error(xml_path, "declared image size is over " + std::to_string(kMaxImagePixels) + " pixels");
      auto bytes = read_file(img_path, kMaxImageBytes);
      auto rgb = decode_rgb(bytes, img_path);
      if (rgb.cols != ann.width || rgb.rows != ann.height)
        throw Error(img_path, "image is " + std::to_string(rgb.cols) + "x" + std::to_string(rgb.rows) +
                                  " but its annotation says " + std::to_string(ann.width) + "x" +
                                  std::to_string(ann.height));
      ImageRecord rec;
      rec.stem = stem;
      rec.image_key = "raw/images/" + chosen->filename().string();
      rec.width = ann.width;
      rec.height = ann.height;
      for (const auto& o : ann.objects) {
        auto c = check_object(o, ann.width, ann.height);
        if (c.status == BoxStatus::unknown_class || c.status == BoxStatus::empty) {
          ++rejected_boxes;
          reject(xml_path + ":" + std::to_string(o.line), c.reason, "box");
          continue;
        }
        if (c.status == BoxStatus::clipped) ++clipped;
        rec.boxes.push_back(c.box);
        rec.labels.push_back(c.label);
        ++per_class[c.label];
        ++boxes;
      }
      put_if_changed(*store, rec.image_key, bytes);
      put_if_changed(*store, "raw/annotations/" + stem + ".xml", xml);
      index.images.push_back(std::move(rec));
    } catch (const Error& e) {
      ++rejected_images;
      reject(e.where(), e.reason(), "image");
    }
    if (it == images.end()) continue;
    for (const auto& other : it->second)
      if (other != *chosen) {
        ++rejected_images;
        reject(other.string(), same_stem_reason(other, *chosen), "image");
      }
    images.erase(it);  // judged with its annotation
  }
  for (const auto& [stem, files] : images)
    for (const auto& path : files) {
      ++rejected_images;
      reject(path.string(), "image has no annotation in " + ann_dir.string(), "image");
    }

  store->put(kIndexKey, index.to_json().dump());
  json pc;
  for (int k = 0; k < kNumClasses; ++k) pc[class_names()[k]] = per_class[k];
  json report = {{"data_dir", fs::absolute(dir).lexically_normal().string()},
                 {"store", store->uri()},
                 {"annotations", stems.size()},
                 {"images", index.images.size()},
                 {"boxes", boxes},
                 {"boxes_per_class", pc},
                 {"boxes_clipped", clipped},
                 {"rejected_images", rejected_images},
                 {"rejected_boxes", rejected_boxes},
                 {"rejects", rejects},
                 {"created_at", utc_now_iso()}};
  store->put(kIngestReportKey, report.dump(2));
  return report;
}

}  // namespace mw
