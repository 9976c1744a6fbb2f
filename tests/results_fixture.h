// A benchmark record with every field set, and a field-by-field comparison,
// shared by the SQLite and DynamoDB results-table tests.
#pragma once
#include <gtest/gtest.h>

#include <string>

#include "results/results_table.h"

namespace fixture {

inline mw::BenchmarkRecord record(const std::string& run_id, const std::string& started_at, int set_size) {
  mw::BenchmarkRecord r;
  r.run_id = run_id;
  r.started_at = started_at;
  r.set_size = set_size;
  r.images = set_size - 1;
  r.objects = 4 * set_size + 3;
  r.seconds = 12.345678901234567;
  r.accuracy = 0.1;
  r.heldout_objects = 987;
  r.heldout_accuracy = 1.0 / 3.0;
  r.throughput = 123456.789e-3;
  r.model_id = "3f2a9c0d11e4b5a6";
  r.threads = 2;
  r.host = "bench-host.example";
  r.rejects = 7;
  r.mode = "detect";
  r.detector_id = "8b0a4eb2ca9c03d0";
  r.map_50 = 0.612345678901234;
  r.heldout_map_50 = 2.0 / 3.0;
  r.face_recall = 0.875;
  return r;
}

inline void expect_same(const mw::BenchmarkRecord& a, const mw::BenchmarkRecord& b) {
  EXPECT_EQ(a.run_id, b.run_id);
  EXPECT_EQ(a.started_at, b.started_at);
  EXPECT_EQ(a.set_size, b.set_size);
  EXPECT_EQ(a.images, b.images);
  EXPECT_EQ(a.objects, b.objects);
  EXPECT_EQ(a.seconds, b.seconds);
  EXPECT_EQ(a.accuracy, b.accuracy);
  EXPECT_EQ(a.heldout_objects, b.heldout_objects);
  EXPECT_EQ(a.heldout_accuracy, b.heldout_accuracy);
  EXPECT_EQ(a.throughput, b.throughput);
  EXPECT_EQ(a.model_id, b.model_id);
  EXPECT_EQ(a.threads, b.threads);
  EXPECT_EQ(a.host, b.host);
  EXPECT_EQ(a.rejects, b.rejects);
  EXPECT_EQ(a.mode, b.mode);
  EXPECT_EQ(a.detector_id, b.detector_id);
  EXPECT_EQ(a.map_50, b.map_50);
  EXPECT_EQ(a.heldout_map_50, b.heldout_map_50);
  EXPECT_EQ(a.face_recall, b.face_recall);
}

}  // namespace fixture
