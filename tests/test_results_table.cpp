#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <thread>

#include "fixture.h"
#include "maskwatch.h"
#include "results/plot.h"
#include "results/results_table.h"
#include "results_fixture.h"

using namespace mw;
namespace fs = std::filesystem;

namespace {

using fixture::expect_same;
using fixture::record;

std::string db_uri(const std::string& tag) { return "sqlite://" + fixture::temp_dir(tag) + "/results.db"; }

}  // namespace

TEST(SqliteResults, RoundTripsEveryField) {
  auto table = open_results(db_uri("results"));
  auto r = record("run-a", "2026-11-24T20:00:00Z", 100);
  table->put(r);
  auto all = table->history();
  ASSERT_EQ(all.size(), 1u);
  expect_same(all[0], r);
}

TEST(SqliteResults, NonFiniteNumbersReadBackAsNaNAndEmptyTextsStayEmpty) {
  auto table = open_results(db_uri("results"));
  auto r = record("run-a", "2026-11-24T20:00:00Z", 0);
  r.heldout_accuracy = std::nan("");
  r.throughput = INFINITY;
  r.model_id.clear();
  r.host.clear();
  table->put(r);
  auto all = table->history();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_TRUE(std::isnan(all[0].heldout_accuracy));
  EXPECT_TRUE(std::isnan(all[0].throughput));
  EXPECT_EQ(all[0].accuracy, 0.1);
  EXPECT_EQ(all[0].model_id, "");
  EXPECT_EQ(all[0].host, "");
}

// A results file written before the detector's columns existed: opening it
// adds them; its old rows read as the annotated-boxes mode without mAP.
TEST(SqliteResults, TableFromBeforeDetectionGainsItsColumns) {
  const std::string dir = fixture::temp_dir("results-old");
  const std::string path = dir + "/results.db";
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    const char* old_schema =
        "CREATE TABLE benchmark (set_size INTEGER NOT NULL, started_at TEXT NOT NULL, run_id TEXT NOT NULL,"
        " images INTEGER NOT NULL, objects INTEGER NOT NULL, seconds REAL, accuracy REAL,"
        " heldout_objects INTEGER NOT NULL, heldout_accuracy REAL, throughput REAL, model_id TEXT NOT NULL,"
        " threads INTEGER NOT NULL, host TEXT NOT NULL, rejects INTEGER NOT NULL,"
        " PRIMARY KEY (set_size, started_at, run_id));"
        "INSERT INTO benchmark VALUES (100, '2026-11-01T00:00:00Z', 'old', 100, 410, 2.5, 0.9, 80, 0.85, 164,"
        " 'm', 2, 'h', 0);";
    ASSERT_EQ(sqlite3_exec(db, old_schema, nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  auto table = open_results("sqlite://" + path);
  table->put(record("new", "2026-12-01T00:00:00Z", 100));
  const auto all = table->history();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].run_id, "old");
  EXPECT_EQ(all[0].mode, "boxes");
  EXPECT_EQ(all[0].objects, 410);
  EXPECT_TRUE(std::isnan(all[0].map_50));
  EXPECT_TRUE(std::isnan(all[0].face_recall));
  expect_same(all[1], record("new", "2026-12-01T00:00:00Z", 100));
  // Opening it again finds the columns there and adds nothing.
  EXPECT_EQ(open_results("sqlite://" + path)->history().size(), 2u);
}

TEST(SqliteResults, RunsWithTheSameSetSizeAreAllKept) {
  auto table = open_results(db_uri("results"));
  auto first = record("run-a", "2026-11-24T20:00:00Z", 50);
  auto second = record("run-b", "2026-11-24T21:00:00Z", 50);
  second.accuracy = 0.75;
  table->put(second);  // written out of order: history still lists the older one first
  table->put(first);
  auto all = table->history(50);
  ASSERT_EQ(all.size(), 2u);
  expect_same(all[0], first);
  expect_same(all[1], second);
  // Two runs started in the same second are told apart by their run ids.
  table->put(record("run-c", "2026-11-24T21:00:00Z", 50));
  EXPECT_EQ(table->history(50).size(), 3u);
  // The very same key again is refused, not overwritten.
  auto again = first;
  again.accuracy = 0.5;
  EXPECT_THROW(table->put(again), Error);
  auto after = table->history(50);
  ASSERT_EQ(after.size(), 3u);
  EXPECT_EQ(after[0].accuracy, 0.1);
}

TEST(SqliteResults, HistoryFiltersBySizeAndOrdersByStartThenSize) {
  auto table = open_results(db_uri("results"));
  table->put(record("run-2", "2026-11-25T08:00:00Z", 10));
  table->put(record("run-1", "2026-11-24T20:00:00Z", 200));
  table->put(record("run-1", "2026-11-24T20:00:00Z", 10));
  table->put(record("run-2", "2026-11-25T08:00:00Z", 200));
  table->put(record("run-1", "2026-11-24T20:00:00Z", 50));
  auto all = table->history();
  ASSERT_EQ(all.size(), 5u);
  std::vector<std::pair<std::string, int>> order;
  for (const auto& r : all) order.emplace_back(r.run_id, r.set_size);
  std::vector<std::pair<std::string, int>> want = {
      {"run-1", 10}, {"run-1", 50}, {"run-1", 200}, {"run-2", 10}, {"run-2", 200}};
  EXPECT_EQ(order, want);
  auto tens = table->history(10);
  ASSERT_EQ(tens.size(), 2u);
  EXPECT_EQ(tens[0].run_id, "run-1");
  EXPECT_EQ(tens[1].run_id, "run-2");
  EXPECT_EQ(table->history(50).size(), 1u);
  EXPECT_TRUE(table->history(7).empty());
}

TEST(SqliteResults, RecordsSurviveReopeningTheFile) {
  auto dir = fixture::temp_dir("results");
  auto uri = "sqlite://" + dir + "/nested/folder/results.db";  // folders created on open
  auto r = record("run-a", "2026-11-24T20:00:00Z", 100);
  {
    auto table = open_results(uri);
    EXPECT_EQ(table->uri(), uri);
    table->put(r);
  }
  auto reopened = open_results(uri);
  auto all = reopened->history();
  ASSERT_EQ(all.size(), 1u);
  expect_same(all[0], r);
  reopened->put(record("run-b", "2026-11-25T20:00:00Z", 100));
  EXPECT_EQ(open_results(uri)->history(100).size(), 2u);
}

TEST(SqliteResults, RelativePathIsUnderTheWorkingFolder) {
  auto dir = fixture::temp_dir("results");
  auto previous = fs::current_path();
  fs::current_path(dir);
  try {
    open_results("sqlite://sub/relative.db")->put(record("run-a", "2026-11-24T20:00:00Z", 1));
  } catch (...) {
    fs::current_path(previous);
    throw;
  }
  fs::current_path(previous);
  EXPECT_TRUE(fs::exists(dir + "/sub/relative.db"));
  EXPECT_EQ(open_results("sqlite://" + dir + "/sub/relative.db")->history().size(), 1u);
}

TEST(SqliteResults, TwoWritersOnOneFile) {
  auto uri = db_uri("results");
  auto a = open_results(uri);
  auto b = open_results(uri);  // its own connection, as another process would have
  std::string errors[2];
  auto write = [](ResultsTable* table, std::string run, std::string* error) {
    try {
      for (int i = 0; i < 40; ++i) table->put(record(run, "2026-11-24T20:00:00Z", i));
    } catch (const std::exception& e) {
      *error = e.what();
    }
  };
  std::thread ta(write, a.get(), "run-a", &errors[0]), tb(write, b.get(), "run-b", &errors[1]);
  ta.join();
  tb.join();
  EXPECT_EQ(errors[0], "");
  EXPECT_EQ(errors[1], "");
  EXPECT_EQ(open_results(uri)->history().size(), 80u);
}

TEST(SqliteResults, RecordWithoutKeyIsRefused) {
  auto table = open_results(db_uri("results"));
  EXPECT_THROW(table->put(record("", "2026-11-24T20:00:00Z", 1)), Error);
  EXPECT_THROW(table->put(record("run-a", "", 1)), Error);
  EXPECT_TRUE(table->history().empty());
}

TEST(ResultsUri, BadUrisAreRefusedWithTheSupportedSchemes) {
  for (std::string uri : {"mysql://host/db", "results.db", "sqlite://", "s3://bucket/results"}) {
    try {
      open_results(uri);
      ADD_FAILURE() << uri << " was accepted";
    } catch (const Error& e) {
      std::string what = e.what();
      EXPECT_NE(what.find(uri), std::string::npos) << what;
      EXPECT_NE(what.find("sqlite://"), std::string::npos) << what;
    }
  }
  // Not a database: the error names the file.
  auto dir = fixture::temp_dir("results");
  fixture::write(dir + "/junk.db", std::string(4096, 'x'));
  try {
    open_results("sqlite://" + dir + "/junk.db");
    ADD_FAILURE() << "a junk file opened as a database";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("junk.db"), std::string::npos) << e.what();
  }
}

TEST(ResultsPlot, EscapesRunIdsAndTimesInTheSvg) {
  auto r = record("<script>&", "2026-11-24T20:00:00Z\"'<b>", 10);
  auto svg = plot_seconds_vs_size_svg({r});
  EXPECT_NE(svg.find("newest run &lt;script&gt;&amp;"), std::string::npos) << svg;
  EXPECT_NE(svg.find("<title>2026-11-24T20:00:00Z&quot;&apos;&lt;b&gt; (detect): "), std::string::npos) << svg;
  EXPECT_NE(svg.find("green dots: faces found by the detector"), std::string::npos) << svg;
  EXPECT_EQ(svg.find("<script>"), std::string::npos) << svg;
  EXPECT_EQ(svg.find("<b>"), std::string::npos) << svg;
}
