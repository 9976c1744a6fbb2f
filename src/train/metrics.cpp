#include "train/metrics.h"

#include <cstdio>

namespace mw {

void ConfusionMatrix::add(int truth, int predicted, long n) {
  if (truth < 0 || truth >= kNumClasses || predicted < 0 || predicted >= kNumClasses)
    throw Error("metrics", "class index out of range");
  m_[truth][predicted] += n;
}

long ConfusionMatrix::total() const {
  long t = 0;
  for (const auto& row : m_)
    for (long v : row) t += v;
  return t;
}

double ConfusionMatrix::accuracy() const {
  long t = total(), ok = 0;
  for (int k = 0; k < kNumClasses; ++k) ok += m_[k][k];
  return t ? double(ok) / t : 0.0;
}

double ConfusionMatrix::precision(int k) const {
  long col = 0;
  for (int t = 0; t < kNumClasses; ++t) col += m_[t][k];
  return col ? double(m_[k][k]) / col : 0.0;
}

double ConfusionMatrix::recall(int k) const {
  long row = 0;
  for (int p = 0; p < kNumClasses; ++p) row += m_[k][p];
  return row ? double(m_[k][k]) / row : 0.0;
}

double ConfusionMatrix::f1(int k) const {
  double p = precision(k), r = recall(k);
  return p + r > 0 ? 2 * p * r / (p + r) : 0.0;
}

double ConfusionMatrix::macro_f1() const {
  double s = 0;
  for (int k = 0; k < kNumClasses; ++k) s += f1(k);
  return s / kNumClasses;
}

json ConfusionMatrix::to_json() const {
  json per = json::object();
  for (int k = 0; k < kNumClasses; ++k) {
    long support = 0;
    for (int p = 0; p < kNumClasses; ++p) support += m_[k][p];
    per[class_names()[k]] = {{"precision", precision(k)}, {"recall", recall(k)}, {"f1", f1(k)}, {"support", support}};
  }
  return {{"objects", total()}, {"accuracy", accuracy()},  {"macro_f1", macro_f1()},
          {"per_class", per},   {"labels", class_names()}, {"confusion", m_}};
}

std::string ConfusionMatrix::to_text() const {
  std::string out;
  char buf[256];
  std::snprintf(buf, sizeof buf, "objects %ld   accuracy %.4f   macro-F1 %.4f\n\n", total(), accuracy(), macro_f1());
  out += buf;
  std::snprintf(buf, sizeof buf, "%-24s %9s %9s %9s %9s\n", "class", "precision", "recall", "F1", "support");
  out += buf;
  for (int k = 0; k < kNumClasses; ++k) {
    long support = 0;
    for (int p = 0; p < kNumClasses; ++p) support += m_[k][p];
    std::snprintf(buf, sizeof buf, "%-24s %9.4f %9.4f %9.4f %9ld\n", class_names()[k].c_str(), precision(k), recall(k),
                  f1(k), support);
    out += buf;
  }
  out += "\nconfusion (rows: true, columns: predicted)\n";
  std::snprintf(buf, sizeof buf, "%-24s %12s %12s %12s\n", "", "with_mask", "without_mask", "incorrect");
  out += buf;
  for (int t = 0; t < kNumClasses; ++t) {
    std::snprintf(buf, sizeof buf, "%-24s %12ld %12ld %12ld\n", class_names()[t].c_str(), m_[t][0], m_[t][1], m_[t][2]);
    out += buf;
  }
  return out;
}

}  // namespace mw
