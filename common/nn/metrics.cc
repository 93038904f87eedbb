#include "common/nn/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "common/core/check.h"

namespace mer::nn {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double SafeDiv(double num, double den) { return den == 0 ? 0.0 : num / den; }

double Mean(const std::vector<double>& v) {
  return v.empty() ? kNaN : std::accumulate(v.begin(), v.end(), 0.0) / v.size();
}

double NanMean(const std::vector<double>& v) {
  double sum = 0;
  int n = 0;
  for (double x : v) {
    if (!std::isnan(x)) {
      sum += x;
      ++n;
    }
  }
  return n == 0 ? kNaN : sum / n;
}

}  // namespace

ClassificationReport EvaluateClassification(const std::vector<int>& truth,
                                            const std::vector<int>& pred,
                                            int num_classes) {
  MER_CHECK(truth.size() == pred.size());
  MER_CHECK(num_classes > 0);
  ClassificationReport r;
  r.num_classes = num_classes;
  r.confusion.assign(num_classes, std::vector<int64_t>(num_classes, 0));
  int64_t total = 0, correct = 0;
  for (size_t i = 0; i < truth.size(); ++i) {
    const int t = truth[i], p = pred[i];
    if (t < 0 || t >= num_classes) continue;
    MER_CHECK(p >= 0 && p < num_classes);
    ++r.confusion[t][p];
    ++total;
    if (t == p) ++correct;
  }
  r.accuracy =
      SafeDiv(static_cast<double>(correct), static_cast<double>(total));
  r.precision.resize(num_classes);
  r.recall.resize(num_classes);
  r.f1.resize(num_classes);
  r.support.resize(num_classes);
  for (int c = 0; c < num_classes; ++c) {
    int64_t tp = r.confusion[c][c], predicted = 0, actual = 0;
    for (int k = 0; k < num_classes; ++k) {
      predicted += r.confusion[k][c];
      actual += r.confusion[c][k];
    }
    r.support[c] = actual;
    r.precision[c] = SafeDiv(tp, predicted);
    r.recall[c] = SafeDiv(tp, actual);
    r.f1[c] =
        SafeDiv(2 * r.precision[c] * r.recall[c], r.precision[c] + r.recall[c]);
  }
  r.macro_precision = Mean(r.precision);
  r.macro_recall = Mean(r.recall);
  r.macro_f1 = Mean(r.f1);
  return r;
}

std::vector<int> ArgmaxRows(const std::vector<float>& scores, int k) {
  MER_CHECK(k > 0 && scores.size() % k == 0);
  std::vector<int> out(scores.size() / k);
  for (size_t i = 0; i < out.size(); ++i) {
    const float* row = scores.data() + i * k;
    out[i] = static_cast<int>(std::max_element(row, row + k) - row);
  }
  return out;
}

double Rmse(const std::vector<double>& truth, const std::vector<double>& pred) {
  MER_CHECK(truth.size() == pred.size());
  if (truth.empty()) return kNaN;
  double ss = 0;
  for (size_t i = 0; i < truth.size(); ++i) {
    ss += (truth[i] - pred[i]) * (truth[i] - pred[i]);
  }
  return std::sqrt(ss / truth.size());
}

double RSquared(const std::vector<double>& truth,
                const std::vector<double>& pred) {
  MER_CHECK(truth.size() == pred.size());
  const double mean = Mean(truth);
  double ss_res = 0, ss_tot = 0;
  for (size_t i = 0; i < truth.size(); ++i) {
    ss_res += (truth[i] - pred[i]) * (truth[i] - pred[i]);
    ss_tot += (truth[i] - mean) * (truth[i] - mean);
  }
  return ss_tot == 0 ? kNaN : 1.0 - ss_res / ss_tot;
}

double PearsonR(const std::vector<double>& x, const std::vector<double>& y) {
  MER_CHECK(x.size() == y.size());
  const double mx = Mean(x), my = Mean(y);
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  return (sxx == 0 || syy == 0) ? kNaN : sxy / std::sqrt(sxx * syy);
}

double RocAuc(const std::vector<int>& labels,
              const std::vector<double>& scores) {
  MER_CHECK(labels.size() == scores.size());
  const size_t n = scores.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  // Ranks 1..n, ties share their average rank.
  double pos_rank_sum = 0;
  int64_t n_pos = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j + 1 < n && scores[order[j + 1]] == scores[order[i]]) ++j;
    const double avg_rank = (static_cast<double>(i + 1) + (j + 1)) / 2.0;
    for (size_t k = i; k <= j; ++k) {
      if (labels[order[k]] != 0) {
        pos_rank_sum += avg_rank;
        ++n_pos;
      }
    }
    i = j + 1;
  }
  const int64_t n_neg = static_cast<int64_t>(n) - n_pos;
  if (n_pos == 0 || n_neg == 0) return kNaN;
  const double u = pos_rank_sum - n_pos * (n_pos + 1) / 2.0;
  return u / (static_cast<double>(n_pos) * n_neg);
}

double AveragePrecision(const std::vector<int>& labels,
                        const std::vector<double>& scores) {
  MER_CHECK(labels.size() == scores.size());
  const size_t n = scores.size();
  int64_t n_pos = 0;
  for (int l : labels) n_pos += l != 0;
  if (n_pos == 0) return kNaN;
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return scores[a] > scores[b]; });
  double ap = 0, prev_recall = 0;
  int64_t tp = 0, seen = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j + 1 < n && scores[order[j + 1]] == scores[order[i]]) ++j;
    for (size_t k = i; k <= j; ++k) tp += labels[order[k]] != 0;
    seen += static_cast<int64_t>(j - i + 1);
    const double recall = static_cast<double>(tp) / n_pos;
    const double precision = static_cast<double>(tp) / seen;
    ap += (recall - prev_recall) * precision;
    prev_recall = recall;
    i = j + 1;
  }
  return ap;
}

TagReport EvaluateTags(const std::vector<int>& labels,
                       const std::vector<double>& scores, int num_tags) {
  MER_CHECK(num_tags > 0);
  MER_CHECK(labels.size() == scores.size() && labels.size() % num_tags == 0);
  const size_t n = labels.size() / num_tags;
  TagReport r;
  for (int t = 0; t < num_tags; ++t) {
    std::vector<int> l(n);
    std::vector<double> s(n);
    for (size_t i = 0; i < n; ++i) {
      l[i] = labels[i * num_tags + t];
      s[i] = scores[i * num_tags + t];
    }
    r.roc_auc.push_back(RocAuc(l, s));
    r.pr_auc.push_back(AveragePrecision(l, s));
  }
  r.macro_roc_auc = NanMean(r.roc_auc);
  r.macro_pr_auc = NanMean(r.pr_auc);
  return r;
}

}  // namespace mer::nn
