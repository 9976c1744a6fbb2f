#include <gtest/gtest.h>

#include "core/hash.h"
#include "core/paths.h"
#include "data/dataset.h"
#include "data/shard.h"
#include "data/split.h"
#include "fixture.h"

using namespace mw;
namespace fs = std::filesystem;

namespace {
std::string read(const fs::path& p) { return read_file(p.string(), kMaxImageBytes); }
const json* find_reject(const json& report, const std::string& file_part) {
  for (const auto& r : report["rejects"])
    if (r["file"].get<std::string>().find(file_part) != std::string::npos) return &r;
  return nullptr;
}
}  // namespace

TEST(Ingest, WholeDatasetCounts) {
  IngestOptions o;
  o.data_dir = fixture::data_dir();
  o.store = fixture::temp_dir("ingest");
  auto r = ingest(o);
  EXPECT_EQ(r["images"], 853);
  EXPECT_EQ(r["boxes"], 4072);
  EXPECT_EQ(r["boxes_per_class"]["with_mask"], 3232);
  EXPECT_EQ(r["boxes_per_class"]["without_mask"], 717);
  EXPECT_EQ(r["boxes_per_class"]["mask_weared_incorrect"], 123);
  EXPECT_EQ(r["boxes_clipped"], 12);
  EXPECT_EQ(r["rejected_images"], 0);
  EXPECT_EQ(r["rejected_boxes"], 0);
  auto store = open_store(o.store);
  auto index = load_index(*store);
  EXPECT_EQ(index.generation, r["generation"]);
  EXPECT_TRUE(store->exists(raw_key(index.generation, "images/maksssksksss0.jpg")));
  EXPECT_TRUE(store->exists(raw_key(index.generation, "annotations/maksssksksss0.xml")));
  EXPECT_TRUE(store->exists("reports/ingest.json"));
  EXPECT_EQ(index.images.size(), 853u);
  EXPECT_EQ(index.images[0].image.sha256, sha256_hex(read(fs::path(o.data_dir) / "images/maksssksksss0.jpg")));

  // The split of the real data: by image, every split holds the rare class.
  PrepareOptions p;
  p.store = o.store;
  p.crop_size = 16;
  auto meta = prepare(p);
  long crops = 0;
  for (const char* s : kSplitNames) {
    crops += meta["splits"][s]["crops"].get<long>();
    EXPECT_GT(meta["splits"][s]["mask_weared_incorrect"].get<long>(), 10) << s;
  }
  EXPECT_EQ(crops, 4072);
  auto manifest = SplitManifest::from_json(json::parse(store->get(kManifestKey)));
  auto test = load_shard(*store, "test");
  for (const auto& stem : test.stems) EXPECT_EQ(manifest.split_of(stem), 2);
}

TEST(Ingest, BadRecordsAreRejectedAndTheRestGoesOn) {
  auto dir = fs::path(fixture::small_dataset(4, "hostile"));
  auto ann = dir / "annotations", img = dir / "images";
  auto good_xml = read(ann / "maksssksksss1.xml");
  // Malformed XML.
  fixture::write(ann / "broken.xml", "<annotation><size><width>5</width>");
  fixture::write(img / "broken.jpg", read(img / "maksssksksss1.jpg"));
  // External entity and entity bomb.
  fixture::write(ann / "xxe.xml", "<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>" +
                                      good_xml.substr(good_xml.find("<annotation>")));
  fixture::write(img / "xxe.jpg", read(img / "maksssksksss1.jpg"));
  fixture::write(ann / "bomb.xml", "<!DOCTYPE a [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]>" +
                                       good_xml.substr(good_xml.find("<annotation>")));
  fixture::write(img / "bomb.jpg", read(img / "maksssksksss1.jpg"));
  // Truncated JPEG and a file that is not an image.
  auto jpg = read(img / "maksssksksss2.jpg");
  fixture::write(ann / "truncated.xml", read(ann / "maksssksksss2.xml"));
  fixture::write(img / "truncated.jpg", jpg.substr(0, 200));
  fixture::write(ann / "notimage.xml", read(ann / "maksssksksss2.xml"));
  fixture::write(img / "notimage.jpg", "this is text, not a JPEG");
  // An image with no annotation.
  fixture::write(img / "orphan.jpg", jpg);
  // An unknown class and a box off the image, inside an otherwise good file.
  std::string edited = good_xml;
  edited.replace(edited.find("<name>") + 6, edited.find("</name>") - edited.find("<name>") - 6, "sunglasses");
  auto last = edited.rfind("<xmin>");
  edited.replace(last, edited.find("</xmin>", last) - last, "<xmin>5000");
  auto lastx = edited.rfind("<xmax>");
  edited.replace(lastx, edited.find("</xmax>", lastx) - lastx, "<xmax>5100");
  fixture::write(ann / "maksssksksss1.xml", edited);

  IngestOptions o;
  o.data_dir = dir.string();
  o.store = fixture::temp_dir("hostile-store");
  auto r = ingest(o);
  EXPECT_EQ(r["images"], 4);  // the four real ones, one of them with two boxes rejected
  EXPECT_EQ(r["rejected_images"], 6);
  EXPECT_EQ(r["rejected_boxes"], 2);
  ASSERT_TRUE(find_reject(r, "broken.xml"));
  EXPECT_NE((*find_reject(r, "broken.xml"))["reason"].get<std::string>().find("malformed"), std::string::npos);
  EXPECT_NE((*find_reject(r, "xxe.xml"))["reason"].get<std::string>().find("DOCTYPE"), std::string::npos);
  EXPECT_NE((*find_reject(r, "bomb.xml"))["reason"].get<std::string>().find("DOCTYPE"), std::string::npos);
  EXPECT_NE((*find_reject(r, "truncated.jpg"))["reason"].get<std::string>().find("decode"), std::string::npos);
  EXPECT_NE((*find_reject(r, "notimage.jpg"))["reason"].get<std::string>().find("decode"), std::string::npos);
  EXPECT_NE((*find_reject(r, "orphan.jpg"))["reason"].get<std::string>().find("no annotation"), std::string::npos);
  auto* unknown = find_reject(r, "maksssksksss1.xml:");
  ASSERT_TRUE(unknown);
  EXPECT_NE(unknown->dump().find("sunglasses"), std::string::npos);

  o.strict = true;
  EXPECT_THROW(ingest(o), Error);
}

TEST(Ingest, TwoImagesWithOneStemAreBothAccountedFor) {
  auto dir = fs::path(fixture::small_dataset(3, "same-stem"));
  auto img = dir / "images";
  // maksssksksss1.xml names maksssksksss1.jpg: the .png beside it is the one not ingested.
  fixture::write(img / "maksssksksss1.png", read(img / "maksssksksss1.jpg"));
  // Neither named by its annotation: the first by name is ingested.
  fixture::write(img / "maksssksksss2.a.jpg", read(img / "maksssksksss2.jpg"));
  fs::rename(img / "maksssksksss2.jpg", img / "maksssksksss2.b.jpg");
  auto ann = dir / "annotations";
  fs::rename(ann / "maksssksksss2.xml", ann / "maksssksksss2.b.xml");
  fs::rename(img / "maksssksksss2.a.jpg", img / "maksssksksss2.b.png");

  IngestOptions o;
  o.data_dir = dir.string();
  o.store = fixture::temp_dir("same-stem-store");
  auto r = ingest(o);
  EXPECT_EQ(r["images"], 3);
  EXPECT_EQ(r["rejected_images"], 2);
  auto* png = find_reject(r, "maksssksksss1.png");
  ASSERT_TRUE(png) << r["rejects"].dump();
  auto reason = (*png)["reason"].get<std::string>();
  EXPECT_NE(reason.find("same stem"), std::string::npos) << reason;
  EXPECT_NE(reason.find("maksssksksss1.jpg"), std::string::npos) << reason;
  EXPECT_NE(reason.find("maksssksksss1.png"), std::string::npos) << reason;
  auto* second = find_reject(r, "maksssksksss2.b.png");
  ASSERT_TRUE(second) << r["rejects"].dump();
  EXPECT_NE((*second)["reason"].get<std::string>().find("maksssksksss2.b.jpg"), std::string::npos);
  auto store = open_store(o.store);
  const auto generation = r["generation"].get<std::string>();
  EXPECT_TRUE(store->exists(raw_key(generation, "images/maksssksksss1.jpg")));
  EXPECT_FALSE(store->exists(raw_key(generation, "images/maksssksksss1.png")));

  o.strict = true;
  EXPECT_THROW(ingest(o), Error);
}

TEST(Ingest, EmptyOrMissingFolderIsAClearError) {
  auto dir = fs::path(fixture::temp_dir("empty"));
  IngestOptions o;
  o.store = fixture::temp_dir("empty-store");
  o.data_dir = (dir / "nope").string();
  EXPECT_THROW(ingest(o), Error);
  fs::create_directories(dir / "images");
  fs::create_directories(dir / "annotations");
  o.data_dir = dir.string();
  try {
    ingest(o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no .xml annotations"), std::string::npos) << e.what();
  }
}

namespace {

// Stands for a process killed during ingest: the write it was about to make
// never happens.
struct Crash {};

// A store that lets the first `writes` puts and removes through, then crashes.
class CrashingStore : public ObjectStore {
 public:
  CrashingStore(const std::string& dir, long writes) : inner_(open_store(dir)), limit_(writes) {}
  void put(const std::string& key, const std::string& bytes) override {
    write();
    inner_->put(key, bytes);
  }
  std::string get(const std::string& key) const override { return inner_->get(key); }
  std::string get_at_most(const std::string& key, std::uint64_t max_bytes) const override {
    return inner_->get_at_most(key, max_bytes);
  }
  std::optional<ObjectInfo> head(const std::string& key) const override { return inner_->head(key); }
  std::vector<ObjectInfo> list(const std::string& prefix) const override { return inner_->list(prefix); }
  void remove(const std::string& key) override {
    write();
    inner_->remove(key);
  }
  std::string uri() const override { return inner_->uri(); }
  long writes_done() const { return done_; }

 private:
  void write() {
    if (done_ == limit_) throw Crash{};
    ++done_;
  }
  std::unique_ptr<ObjectStore> inner_;
  long limit_, done_ = 0;
};

constexpr long kNoCrash = 1L << 40;
constexpr int kSmallImages = 3;

IngestOptions ingest_options(const std::string& data_dir, const std::string& store) {
  IngestOptions o;
  o.data_dir = data_dir;
  o.store = store;
  return o;
}

// The three shards prepare writes, end to end.
std::string prepared_shards(const std::string& store_dir) {
  PrepareOptions p;
  p.store = store_dir;
  p.crop_size = 16;
  prepare(p);
  auto store = open_store(store_dir);
  std::string all;
  for (const char* s : kSplitNames) all += store->get(shard_key(s));
  return all;
}

std::string copy_store(const std::string& from, const std::string& tag) {
  auto to = fixture::temp_dir(tag);
  fs::copy(from, to, fs::copy_options::recursive);
  return to;
}

// The small dataset with the same stems, maksssksksss1's image and annotation
// replaced by another photo's.
std::string changed_dataset() {
  auto dir = fs::path(fixture::small_dataset(kSmallImages, "changed"));
  auto src = fs::path(fixture::data_dir());
  fixture::write(dir / "images/maksssksksss1.jpg", read(src / "images/maksssksksss7.jpg"));
  fixture::write(dir / "annotations/maksssksksss1.xml", read(src / "annotations/maksssksksss7.xml"));
  return dir.string();
}

// Every raw/ key lies under the index's generation.
void expect_only_current_generation(const std::string& store_dir) {
  auto store = open_store(store_dir);
  const auto prefix = raw_key(load_index(*store).generation, "");
  for (const auto& obj : store->list(kRawPrefix)) EXPECT_EQ(obj.key.rfind(prefix, 0), 0u) << obj.key;
}

std::string prepare_error(const std::string& store_dir) {
  try {
    prepared_shards(store_dir);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Ingest, ReingestStoppedAtAnyWriteLeavesTheOldOrTheNewDatasetWhole) {
  const auto data_a = fixture::small_dataset(kSmallImages, "data-a");
  const auto data_b = changed_dataset();
  const auto base = fixture::temp_dir("gen-base");
  ingest(ingest_options(data_a, base));
  const auto index_a = open_store(base)->get(kIndexKey);
  const auto shards_a = prepared_shards(copy_store(base, "gen-a"));

  const auto whole = copy_store(base, "gen-b");
  CrashingStore counting(whole, kNoCrash);
  ingest_into(counting, ingest_options(data_b, whole));
  const long writes = counting.writes_done();
  const auto shards_b = prepared_shards(whole);
  ASSERT_FALSE(shards_a == shards_b);
  // Two files of each image, the index, the old generation's files removed, the report.
  EXPECT_EQ(writes, 4 * kSmallImages + 2);
  expect_only_current_generation(whole);

  int old_seen = 0, new_seen = 0;
  for (long n = 0; n < writes; ++n) {
    const auto dir = copy_store(base, "gen-crash");
    CrashingStore crashing(dir, n);
    EXPECT_THROW(ingest_into(crashing, ingest_options(data_b, dir)), Crash) << n;
    const bool switched = open_store(dir)->get(kIndexKey) != index_a;
    ++(switched ? new_seen : old_seen);
    EXPECT_TRUE(prepared_shards(dir) == (switched ? shards_b : shards_a)) << "stopped after " << n << " writes";
    // Ingest run again to its end: the new dataset, and only its files.
    ingest(ingest_options(data_b, dir));
    EXPECT_TRUE(prepared_shards(dir) == shards_b) << "rerun after " << n << " writes";
    expect_only_current_generation(dir);
  }
  EXPECT_EQ(old_seen, 2 * kSmallImages + 1);  // every write before the switch, and the switch itself
  EXPECT_EQ(new_seen, writes - old_seen);
}

TEST(Ingest, TheSameDataIngestedAgainWritesOnlyTheIndexAndTheReport) {
  const auto data = fixture::small_dataset(kSmallImages, "same-data");
  const auto dir = fixture::temp_dir("same-data-store");
  auto first = ingest(ingest_options(data, dir));
  CrashingStore counting(dir, kNoCrash);
  auto second = ingest_into(counting, ingest_options(data, dir));
  EXPECT_EQ(first["generation"], second["generation"]);
  EXPECT_EQ(counting.writes_done(), 2);
}

TEST(Ingest, PrepareRefusesARawFileChangedAfterIngest) {
  const auto data = fixture::small_dataset(kSmallImages, "tamper");
  const auto dir = fixture::temp_dir("tamper-store");
  ingest(ingest_options(data, dir));
  const auto good = prepared_shards(dir);
  auto store = open_store(dir);
  const auto key = load_index(*store).images[1].image.key;
  const auto original = store->get(key);

  auto flipped = original;  // same size: only the hash tells
  flipped[flipped.size() / 2] ^= 1;
  store->put(key, flipped);
  auto error = prepare_error(dir);
  EXPECT_NE(error.find(key), std::string::npos) << error;
  EXPECT_NE(error.find("SHA-256"), std::string::npos) << error;

  store->put(key, original + "x");
  error = prepare_error(dir);
  EXPECT_NE(error.find(key), std::string::npos) << error;
  EXPECT_NE(error.find("bytes"), std::string::npos) << error;

  store->remove(key);
  error = prepare_error(dir);
  EXPECT_NE(error.find(key), std::string::npos) << error;

  ingest(ingest_options(data, dir));  // puts the file back
  EXPECT_TRUE(prepared_shards(dir) == good);
}

TEST(Ingest, AStoreWithoutGenerationsIsRefusedUntilIngestedAgain) {
  const auto data = fixture::small_dataset(kSmallImages, "legacy");
  const auto dir = fixture::temp_dir("legacy-store");
  auto store = open_store(dir);
  const std::string old_key = "raw/images/maksssksksss0.jpg";
  store->put(old_key, read(fs::path(data) / "images/maksssksksss0.jpg"));
  json old_index = {
      {"labels", class_names()},
      {"images", {{{"stem", "maksssksksss0"}, {"image", old_key}, {"width", 512}, {"height", 366}, {"boxes", {}}}}}};
  store->put(kIndexKey, old_index.dump());
  auto error = prepare_error(dir);
  EXPECT_NE(error.find("ingest' again"), std::string::npos) << error;
  EXPECT_NE(error.find(kIndexKey), std::string::npos) << error;

  ingest(ingest_options(data, dir));
  EXPECT_FALSE(store->exists(old_key));
  EXPECT_EQ(prepare_error(dir), "");
  expect_only_current_generation(dir);
}
