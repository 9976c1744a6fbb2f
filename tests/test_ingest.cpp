#include <gtest/gtest.h>

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
  EXPECT_TRUE(store->exists("raw/images/maksssksksss0.jpg"));
  EXPECT_TRUE(store->exists("reports/ingest.json"));
  EXPECT_EQ(load_index(*store).images.size(), 853u);

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
  EXPECT_TRUE(store->exists("raw/images/maksssksksss1.jpg"));
  EXPECT_FALSE(store->exists("raw/images/maksssksksss1.png"));

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
