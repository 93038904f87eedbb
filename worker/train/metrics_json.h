// JSON of evaluation metrics, shared by `mer eval` and `mer train` so both
// report the same keys. Torch-free.
#ifndef MER_WORKER_TRAIN_METRICS_JSON_H_
#define MER_WORKER_TRAIN_METRICS_JSON_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/nn/metrics.h"

namespace mer::worker {

// accuracy, macro_precision, macro_recall, macro_f1, confusion and
// per_class.{name}.{precision, recall, f1, support}; `names` has one entry
// per class of `r`.
void AddClassificationJson(const nn::ClassificationReport& r,
                           const std::vector<std::string>& names,
                           nlohmann::json* j);

// {"rmse", "r2", "pearson"} of predictions against truth; an undefined R² or
// r (constant input) is null.
nlohmann::json RegressionJson(const std::vector<double>& truth,
                              const std::vector<double>& pred);

// {"macro_roc_auc", "macro_pr_auc", "per_tag": {name: {"roc_auc", "pr_auc",
// "positives"}}} of a tag report; `names` and `positives` (tracks carrying
// each tag) have one entry per tag of `r`. Undefined values (a tag with no
// positive or no negative) are null.
nlohmann::json TagJson(const nn::TagReport& r,
                       const std::vector<std::string>& names,
                       const std::vector<int64_t>& positives);

}  // namespace mer::worker

#endif  // MER_WORKER_TRAIN_METRICS_JSON_H_
