// Evaluation metrics on plain vectors (torch-free): classification
// (accuracy, per-class and macro precision/recall/F1, confusion matrix),
// regression (RMSE, R², Pearson r) and ranking (ROC-AUC, average precision)
// with a macro average over tags.
//
// Conventions follow scikit-learn: a precision/recall/F1 whose denominator is
// 0 is 0; a metric that is undefined for the data (ROC-AUC with one class
// present, R² of a constant truth, Pearson r of a constant vector) is NaN and
// macro averages over tags skip NaN entries. Vectors of different lengths are
// a programming error (MER_CHECK).
//
// Thread-safety: pure functions.
#ifndef MER_COMMON_NN_METRICS_H_
#define MER_COMMON_NN_METRICS_H_

#include <cstdint>
#include <vector>

namespace mer::nn {

struct ClassificationReport {
  int num_classes = 0;
  // confusion[t][p]: samples of true class t predicted as p.
  std::vector<std::vector<int64_t>> confusion;
  double accuracy = 0;
  std::vector<double> precision, recall, f1;  // [num_classes]
  std::vector<int64_t> support;               // true samples per class
  // Unweighted means over all classes.
  double macro_precision = 0, macro_recall = 0, macro_f1 = 0;
};

// `truth` and `pred` hold class indices in [0, num_classes); entries outside
// that range (e.g. -1 = unlabelled) in `truth` are skipped.
ClassificationReport EvaluateClassification(const std::vector<int>& truth,
                                            const std::vector<int>& pred,
                                            int num_classes);

// Index of the largest of `scores[i * k .. i * k + k)` for each row.
std::vector<int> ArgmaxRows(const std::vector<float>& scores, int k);

double Rmse(const std::vector<double>& truth, const std::vector<double>& pred);
// Coefficient of determination 1 - SS_res / SS_tot (NaN when truth is
// constant).
double RSquared(const std::vector<double>& truth,
                const std::vector<double>& pred);
double PearsonR(const std::vector<double>& x, const std::vector<double>& y);

// Area under the ROC curve of `scores` for binary `labels` (0/1): the
// Mann-Whitney statistic with tied scores given their average rank.
double RocAuc(const std::vector<int>& labels,
              const std::vector<double>& scores);
// Average precision (area under the precision-recall curve, scikit-learn's
// step definition: sum over thresholds of (R_n - R_{n-1}) * P_n, tied scores
// forming one threshold).
double AveragePrecision(const std::vector<int>& labels,
                        const std::vector<double>& scores);

struct TagReport {
  std::vector<double> roc_auc;  // per tag, NaN where undefined
  std::vector<double> pr_auc;   // per tag
  double macro_roc_auc = 0;     // mean over defined tags (NaN if none)
  double macro_pr_auc = 0;
};
// labels and scores are row-major [n][num_tags].
TagReport EvaluateTags(const std::vector<int>& labels,
                       const std::vector<double>& scores, int num_tags);

}  // namespace mer::nn

#endif  // MER_COMMON_NN_METRICS_H_
