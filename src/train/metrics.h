// Classification metrics from a confusion matrix: accuracy, per-class
// precision / recall / F1, macro-F1. Rows are true classes, columns predictions.
#pragma once
#include <array>
#include <string>

#include "maskwatch.h"

namespace mw {

class ConfusionMatrix {
 public:
  void add(int truth, int predicted, long n = 1);
  long at(int truth, int predicted) const { return m_[truth][predicted]; }
  long total() const;
  double accuracy() const;
  double precision(int k) const;  // 0 when nothing was predicted as k
  double recall(int k) const;     // 0 when class k never occurs
  double f1(int k) const;
  double macro_f1() const;
  json to_json() const;
  std::string to_text() const;  // a readable table

 private:
  std::array<std::array<long, kNumClasses>, kNumClasses> m_{};
};

}  // namespace mw
