#include <gtest/gtest.h>

#include "train/metrics.h"

using namespace mw;

TEST(Metrics, HandComputedCase) {
  // truth\pred   0  1  2
  //      0       8  1  1
  //      1       2  5  0
  //      2       0  1  2
  ConfusionMatrix cm;
  cm.add(0, 0, 8), cm.add(0, 1, 1), cm.add(0, 2, 1);
  cm.add(1, 0, 2), cm.add(1, 1, 5);
  cm.add(2, 1, 1), cm.add(2, 2, 2);
  EXPECT_EQ(cm.total(), 20);
  EXPECT_DOUBLE_EQ(cm.accuracy(), 15.0 / 20);
  EXPECT_DOUBLE_EQ(cm.precision(0), 8.0 / 10);
  EXPECT_DOUBLE_EQ(cm.recall(0), 8.0 / 10);
  EXPECT_DOUBLE_EQ(cm.precision(1), 5.0 / 7);
  EXPECT_DOUBLE_EQ(cm.recall(1), 5.0 / 7);
  EXPECT_DOUBLE_EQ(cm.precision(2), 2.0 / 3);
  EXPECT_DOUBLE_EQ(cm.recall(2), 2.0 / 3);
  EXPECT_DOUBLE_EQ(cm.f1(2), 2.0 / 3);
  EXPECT_NEAR(cm.macro_f1(), (0.8 + 5.0 / 7 + 2.0 / 3) / 3, 1e-12);
  auto j = cm.to_json();
  EXPECT_EQ(j["confusion"][1][0], 2);
  EXPECT_EQ(j["per_class"]["without_mask"]["support"], 7);
}

TEST(Metrics, AsymmetricPrecisionRecall) {
  ConfusionMatrix cm;
  cm.add(0, 0, 3);
  cm.add(0, 2, 1);  // a with_mask face called incorrect
  cm.add(2, 2, 1);
  EXPECT_DOUBLE_EQ(cm.precision(2), 0.5);
  EXPECT_DOUBLE_EQ(cm.recall(2), 1.0);
  EXPECT_NEAR(cm.f1(2), 2 * 0.5 / 1.5, 1e-12);
  EXPECT_DOUBLE_EQ(cm.recall(0), 0.75);
  EXPECT_DOUBLE_EQ(cm.precision(0), 1.0);
}

TEST(Metrics, AbsentClassScoresZeroNotNaN) {
  ConfusionMatrix cm;
  cm.add(0, 0, 5);
  EXPECT_DOUBLE_EQ(cm.precision(1), 0);
  EXPECT_DOUBLE_EQ(cm.recall(1), 0);
  EXPECT_DOUBLE_EQ(cm.f1(1), 0);
  EXPECT_DOUBLE_EQ(cm.macro_f1(), 1.0 / 3);
  EXPECT_DOUBLE_EQ(ConfusionMatrix().accuracy(), 0);
  EXPECT_THROW(cm.add(3, 0), Error);
}
