#include <gtest/gtest.h>

#include "fixture.h"
#include "maskwatch.h"
#include "store/file_store.h"
#include "store/object_store.h"

using namespace mw;

TEST(FileStore, PutGetHeadListRemove) {
  auto root = fixture::temp_dir("store");
  auto store = open_store(root);
  store->put("a/b/one.txt", "hello");
  store->put("a/two.bin", std::string("\0\1\2", 3));
  store->put("c.txt", "x");
  EXPECT_EQ(store->get("a/b/one.txt"), "hello");
  EXPECT_EQ(store->head("a/two.bin")->size, 3u);
  EXPECT_FALSE(store->head("missing").has_value());
  auto all = store->list("a/");
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].key, "a/b/one.txt");
  EXPECT_EQ(all[1].key, "a/two.bin");
  EXPECT_EQ(store->list("").size(), 3u);
  EXPECT_EQ(store->list("a/b/o").size(), 1u);
  store->put("a/b/one.txt", "replaced");
  EXPECT_EQ(store->get("a/b/one.txt"), "replaced");
  store->remove("a/b/one.txt");
  EXPECT_FALSE(store->exists("a/b/one.txt"));
  EXPECT_EQ(store->list("").size(), 2u);  // no temporary files left behind
}

TEST(FileStore, GetAtMostRefusesWhatIsLarger) {
  auto store = open_store(fixture::temp_dir("store"));
  store->put("photo.jpg", std::string(1000, 'p'));
  store->put("empty.jpg", "");
  EXPECT_EQ(store->get_at_most("photo.jpg", 1000), std::string(1000, 'p'));
  EXPECT_EQ(store->get_at_most("empty.jpg", 1), "");
  try {
    store->get_at_most("photo.jpg", 999);
    FAIL() << "1000 bytes read under a limit of 999";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("photo.jpg"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("999 bytes"), std::string::npos) << e.what();
  }
  EXPECT_THROW(store->get_at_most("missing.jpg", 10), Error);
}

TEST(FileStore, MissingObjectErrorNamesTheKey) {
  auto store = open_store("file://" + fixture::temp_dir("store"));
  try {
    store->get("models/nothing.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("models/nothing.json"), std::string::npos);
  }
}

TEST(FileStore, RejectsKeysThatEscapeTheRoot) {
  auto store = open_store(fixture::temp_dir("store"));
  EXPECT_THROW(store->put("../evil", "x"), Error);
  EXPECT_THROW(store->put("/etc/evil", "x"), Error);
  EXPECT_THROW(store->put("a//b", "x"), Error);
  EXPECT_THROW(store->get("a/../../b"), Error);
  EXPECT_THROW(open_store("ftp://host/x"), Error);
}

TEST(ObjectStore, LocalStoreDirOfPathsAndFileUris) {
  EXPECT_EQ(local_store_dir("maskwatch-data"), "maskwatch-data");
  EXPECT_EQ(local_store_dir("/abs/store"), "/abs/store");
  EXPECT_EQ(local_store_dir("file:///abs/store"), "/abs/store");
  EXPECT_EQ(local_store_dir("file://rel/store"), "rel/store");
  EXPECT_EQ(local_store_dir("s3://bucket/prefix"), std::nullopt);
  EXPECT_EQ(local_store_dir("ftp://host/x"), std::nullopt);
}

TEST(ObjectStore, DefaultResultsBesideALocalStoreOnly) {
  EXPECT_EQ(default_results_uri("data"), "sqlite://data/results.db");
  EXPECT_EQ(default_results_uri("file:///srv/data"), "sqlite:///srv/data/results.db");
  EXPECT_EQ(default_results_uri("s3://bucket/prefix"), "sqlite://maskwatch-results.db");
}

TEST(FileStore, FileCopiesInAndOut) {
  auto dir = fixture::temp_dir("store");
  auto store = open_store(dir + "/s");
  fixture::write(dir + "/in.txt", "payload");
  store->put_file("k/in.txt", dir + "/in.txt");
  store->get_file("k/in.txt", dir + "/out.txt");
  EXPECT_EQ(store->get("k/in.txt"), "payload");
  EXPECT_TRUE(std::filesystem::exists(dir + "/out.txt"));
}
