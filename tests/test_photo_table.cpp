// The photo table (results/photo_table.h) on both backends, each real: an
// SQLite file and dynalite on loopback. A record reads back as written; a
// second put of the same version is refused and leaves the first; another
// version of the same object is a record of its own; the query filters by
// label, time and failure; a DynamoDB table with another key is refused.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "fixture.h"
#include "results/dynamodb_photos.h"
#include "results/photo_table.h"
#include "service_fixture.h"

using namespace mw;

namespace {

fixture::ServiceProcess& dynalite() {
  static auto server = [] {
    auto s = fixture::start_dynalite();
    ::setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
    ::setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", 1);
    ::setenv("AWS_REGION", "eu-west-1", 1);
    ::unsetenv("AWS_SESSION_TOKEN");
    ::setenv("AWS_ENDPOINT_URL_DYNAMODB", s->endpoint().c_str(), 1);
    return s;
  }();
  return *server;
}

std::string fresh_uri(const std::string& backend) {
  static int counter = 0;
  const std::string name = "photos-" + std::to_string(++counter);
  if (backend == "dynamodb") {
    dynalite();
    return "dynamodb://" + name;
  }
  return "sqlite://" + fixture::temp_dir("photo-table") + "/" + name + ".db";
}

PhotoRecord photo(const std::string& key, const std::string& etag, std::vector<std::string> labels,
                  const std::string& at = "2026-12-07T18:00:00Z") {
  PhotoRecord r;
  r.uri = "s3://bucket/" + key;
  r.etag = etag;
  r.sequencer = "0055AED6DCD90281E5";
  r.bytes = 4821;
  r.width = 400, r.height = 300;
  float x = 10;
  for (const auto& l : labels) {
    r.faces.push_back({{x, 20, x + 30.5f, 60}, l, 0.875f, 0.75f});
    x += 40;
  }
  r.classifier_id = "b8ce56c1922e9f59";
  r.detector_id = "pretrained";
  r.milliseconds = 35.25;
  r.labelled_at = at;
  return r;
}

void expect_same(const PhotoRecord& a, const PhotoRecord& b) {
  EXPECT_EQ(to_json(a), to_json(b));
}

class PhotoTables : public ::testing::TestWithParam<std::string> {};

}  // namespace

TEST_P(PhotoTables, ARecordReadsBackAsWritten) {
  auto table = open_photo_table(fresh_uri(GetParam()));
  const auto r = photo("incoming/café ✓.jpg", "e1", {"with_mask", "without_mask", "with_mask"});
  EXPECT_TRUE(table->put(r));
  EXPECT_TRUE(table->contains(r.uri, "e1"));
  EXPECT_FALSE(table->contains(r.uri, "e2"));
  const auto all = table->list();
  ASSERT_EQ(all.size(), 1u);
  expect_same(all[0], r);
  EXPECT_EQ(all[0].counts().at("with_mask"), 2);
}

TEST_P(PhotoTables, TheSameVersionTwiceLeavesTheFirstRecord) {
  auto table = open_photo_table(fresh_uri(GetParam()));
  const auto first = photo("a.jpg", "e1", {"with_mask"});
  auto again = photo("a.jpg", "e1", {"without_mask"}, "2026-12-07T19:00:00Z");
  EXPECT_TRUE(table->put(first));
  EXPECT_FALSE(table->put(again));
  EXPECT_TRUE(table->put(photo("a.jpg", "e2", {"without_mask"})));  // a new version of the object
  const auto all = table->list();
  ASSERT_EQ(all.size(), 2u);
  expect_same(all[0].etag == "e1" ? all[0] : all[1], first);
}

TEST_P(PhotoTables, QueriesFilterByLabelTimeAndFailure) {
  auto table = open_photo_table(fresh_uri(GetParam()));
  table->put(photo("a.jpg", "e", {"with_mask"}, "2026-12-07T10:00:00Z"));
  table->put(photo("b.jpg", "e", {"without_mask", "with_mask"}, "2026-12-07T12:00:00Z"));
  auto bad = photo("c.jpg", "e", {}, "2026-12-07T13:00:00Z");
  bad.error = "not an image (no JPEG or PNG signature)";
  table->put(bad);
  PhotoQuery q;
  q.label = "without_mask";
  ASSERT_EQ(table->list(q).size(), 1u);
  EXPECT_EQ(table->list(q)[0].uri, "s3://bucket/b.jpg");
  q = {};
  q.since = "2026-12-07T11:00:00Z";
  EXPECT_EQ(table->list(q).size(), 2u);
  q = {};
  q.failed = true;
  ASSERT_EQ(table->list(q).size(), 1u);
  EXPECT_EQ(table->list(q)[0].error, bad.error);
  const auto s = summarize(table->list());
  EXPECT_EQ(summary_line(s), "3 photos, 3 faces (with_mask 2, without_mask 1), 1 failed");
}

INSTANTIATE_TEST_SUITE_P(Backends, PhotoTables, ::testing::Values("sqlite", "dynamodb"));

TEST(PhotoTableUris, SchemesAndDefaults) {
  EXPECT_EQ(photos_uri_for("sqlite:///x/results.db"), "sqlite:///x/results.db");
  EXPECT_EQ(photos_uri_for("dynamodb://benchmark"), "dynamodb://benchmark-photos");
  EXPECT_THROW(open_photo_table("mysql://x"), Error);
  EXPECT_THROW(open_photo_table("sqlite://"), Error);
  EXPECT_THROW(open_photo_table("dynamodb://a/b"), Error);
}

TEST(PhotoTableUris, ADynamoTableWithAnotherKeyIsRefused) {
  dynalite();
  // The benchmark table's key (set_size, run) is not a photo table's.
  DynamoClient other("photos-wrong-key", DynamoKey{"set_size", "N", "run", "S"});
  try {
    DynamoPhotoTable table("photos-wrong-key");
    FAIL() << "a table keyed by set_size was used for photos";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("uri (HASH, S) and etag (RANGE, S)"), std::string::npos) << e.what();
  }
}
