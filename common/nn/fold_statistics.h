// Statistics over cross-validation folds (torch-free): mean and sample
// standard deviation of a metric, and the paired t-test that says whether
// two models' per-fold scores differ.
//
// Thread-safety: pure functions.
#ifndef MER_COMMON_NN_FOLD_STATISTICS_H_
#define MER_COMMON_NN_FOLD_STATISTICS_H_

#include <vector>

#include "common/core/result.h"

namespace mer::nn {

struct MeanStd {
  double mean = 0;
  double std = 0;  // sample standard deviation (n - 1); 0 for one value
  int n = 0;
};
// NaN entries are skipped. An empty input gives NaN mean.
MeanStd MeanAndStd(const std::vector<double>& values);

struct TTestResult {
  double t = 0;        // mean(a - b) / (sd(a - b) / sqrt(n))
  int dof = 0;         // n - 1
  double p_value = 1;  // two-sided
};
// Paired t-test of a[i] against b[i]. Needs equal sizes and n >= 2. When
// every difference is the same, t is +-inf and p is 0 (or t = 0, p = 1 when
// the differences are all zero).
core::Result<TTestResult> PairedTTest(const std::vector<double>& a,
                                      const std::vector<double>& b);

// Two-sided p-value of Student's t with `dof` degrees of freedom:
// I_{dof / (dof + t^2)}(dof / 2, 1 / 2).
double StudentTTwoSidedP(double t, double dof);

// The regularised incomplete beta function I_x(a, b), by the continued
// fraction (modified Lentz), a, b > 0, x in [0, 1].
double RegularizedIncompleteBeta(double a, double b, double x);

}  // namespace mer::nn

#endif  // MER_COMMON_NN_FOLD_STATISTICS_H_
