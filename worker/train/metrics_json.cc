#include "worker/train/metrics_json.h"

#include <cmath>

namespace mer::worker {
namespace {

nlohmann::json Num(double v) {
  return std::isnan(v) ? nlohmann::json() : nlohmann::json(v);
}

}  // namespace

void AddClassificationJson(const nn::ClassificationReport& r,
                           const std::vector<std::string>& names,
                           nlohmann::json* j) {
  (*j)["accuracy"] = r.accuracy;
  (*j)["macro_precision"] = r.macro_precision;
  (*j)["macro_recall"] = r.macro_recall;
  (*j)["macro_f1"] = r.macro_f1;
  (*j)["confusion"] = r.confusion;
  for (int c = 0; c < r.num_classes; ++c) {
    (*j)["per_class"][names[c]] = {{"precision", r.precision[c]},
                                   {"recall", r.recall[c]},
                                   {"f1", r.f1[c]},
                                   {"support", r.support[c]}};
  }
}

nlohmann::json RegressionJson(const std::vector<double>& truth,
                              const std::vector<double>& pred) {
  return {{"rmse", nn::Rmse(truth, pred)},
          {"r2", Num(nn::RSquared(truth, pred))},
          {"pearson", Num(nn::PearsonR(truth, pred))}};
}

nlohmann::json TagJson(const nn::TagReport& r,
                       const std::vector<std::string>& names,
                       const std::vector<int64_t>& positives) {
  nlohmann::json j = {{"macro_roc_auc", Num(r.macro_roc_auc)},
                      {"macro_pr_auc", Num(r.macro_pr_auc)},
                      {"per_tag", nlohmann::json::object()}};
  for (size_t t = 0; t < r.roc_auc.size(); ++t) {
    j["per_tag"][names[t]] = {{"roc_auc", Num(r.roc_auc[t])},
                              {"pr_auc", Num(r.pr_auc[t])},
                              {"positives", positives[t]}};
  }
  return j;
}

}  // namespace mer::worker
