#include "worker/eval_job.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/nn/metrics.h"
#include "worker/metrics_json.h"
#include "worker/training_data.h"

namespace mer::worker {

core::Status EvalOptions::Validate() const {
  if (model.empty())
    return core::Status::InvalidArgument("--model is required");
  if (data.empty()) return core::Status::InvalidArgument("--data is required");
  return predict.predictor.Validate();
}

core::Result<EvalReport> RunEval(const EvalOptions& options,
                                 comm::Communicator& comm) {
  MER_RETURN_IF_ERROR(options.Validate());
  MER_ASSIGN_OR_RETURN(TrackPredictor predictor,
                       TrackPredictor::Open(options.model, options.predict));
  const nn::BundleManifest& manifest = predictor.manifest();
  LabelsSourceOptions source;
  source.front_end = predictor.front_end();
  source.labels = options.labels;
  source.threads = options.threads;
  source.progress = options.progress;
  MER_ASSIGN_OR_RETURN(TrainingData data,
                       TrainingData::Open(options.data, source, comm));
  MER_RETURN_IF_ERROR(nn::CheckFrontEnd(manifest, data.front_end_digest()));
  if (data.n_mels() != manifest.config.n_mels) {
    return core::Status::InvalidArgument(
        options.data,
        fmt::format("features have {} mel bands, the model expects {}",
                    data.n_mels(), manifest.config.n_mels));
  }
  // Tags: the model's tags that the data has; the others are skipped.
  std::vector<std::string> tag_names, missing_tags;
  std::vector<int> tag_model, tag_data;  // output index, data index
  const bool tag_head = manifest.config.num_tags > 0 &&
                        manifest.tag_names.size() ==
                            static_cast<size_t>(manifest.config.num_tags);
  if (tag_head && data.has_tags()) {
    for (size_t m = 0; m < manifest.tag_names.size(); ++m) {
      const auto& names = data.tag_names();
      auto it =
          std::lower_bound(names.begin(), names.end(), manifest.tag_names[m]);
      if (it == names.end() || *it != manifest.tag_names[m]) {
        missing_tags.push_back(manifest.tag_names[m]);
        continue;
      }
      tag_names.push_back(manifest.tag_names[m]);
      tag_model.push_back(static_cast<int>(m));
      tag_data.push_back(static_cast<int>(it - names.begin()));
    }
  }
  const int num_tags = static_cast<int>(tag_names.size());
  std::vector<int> tag_truth;
  std::vector<double> tag_scores;
  std::vector<int64_t> tag_positives(num_tags, 0);
  std::vector<int> truth, pred;
  std::vector<double> tv, ta, pv, pa;
  for (const TrainingTrack& t : data.tracks()) {
    MER_ASSIGN_OR_RETURN(
        nn::TrackPrediction p,
        predictor.PredictMel(t.mel, data.n_mels(), t.n_frames));
    truth.push_back(t.quadrant);
    pred.push_back(p.quadrant);
    if (t.has_va) {
      tv.push_back(t.valence);
      ta.push_back(t.arousal);
      pv.push_back(p.valence);
      pa.push_back(p.arousal);
    }
    for (int g = 0; g < num_tags; ++g) {
      tag_truth.push_back(t.tags[tag_data[g]]);
      tag_positives[g] += t.tags[tag_data[g]];
      tag_scores.push_back(p.tag_probs[tag_model[g]]);
    }
  }
  const int k = static_cast<int>(manifest.label_names.size());
  const nn::ClassificationReport r = nn::EvaluateClassification(truth, pred, k);
  EvalReport report;
  nlohmann::json& j = report.json;
  j["model"] = options.model;
  j["model_id"] = manifest.model_id;
  j["data"] = options.data;
  j["tracks"] = data.tracks().size();
  j["failed"] = data.failures().size();
  j["labels"] = manifest.label_names;
  AddClassificationJson(r, manifest.label_names, &j);
  std::string& s = report.text;
  s += fmt::format("eval: {} on {} ({} tracks, {} failed)\n", options.model,
                   options.data, data.tracks().size(), data.failures().size());
  s += fmt::format(
      "accuracy {:.4f}  macro precision {:.4f}  recall {:.4f}  F1 {:.4f}\n\n",
      r.accuracy, r.macro_precision, r.macro_recall, r.macro_f1);
  s += fmt::format("{:<8} {:>9} {:>9} {:>9} {:>8}\n", "class", "precision",
                   "recall", "f1", "support");
  for (int c = 0; c < k; ++c) {
    s += fmt::format("{:<8} {:>9.3f} {:>9.3f} {:>9.3f} {:>8}\n",
                     manifest.label_names[c], r.precision[c], r.recall[c],
                     r.f1[c], r.support[c]);
  }
  s += "\nconfusion (rows: true, columns: predicted)\n" + std::string(9, ' ');
  for (int c = 0; c < k; ++c)
    s += fmt::format("{:>7}", manifest.label_names[c]);
  s += "\n";
  for (int t = 0; t < k; ++t) {
    s += fmt::format("{:<9}", manifest.label_names[t]);
    for (int p = 0; p < k; ++p) s += fmt::format("{:>7}", r.confusion[t][p]);
    s += "\n";
  }
  if (!tv.empty()) {
    j["valence"] = RegressionJson(tv, pv);
    j["arousal"] = RegressionJson(ta, pa);
    s += fmt::format("\nvalence: RMSE {:.4f}  R2 {:.4f}  r {:.4f}\n",
                     nn::Rmse(tv, pv), nn::RSquared(tv, pv),
                     nn::PearsonR(tv, pv));
    s += fmt::format("arousal: RMSE {:.4f}  R2 {:.4f}  r {:.4f}\n",
                     nn::Rmse(ta, pa), nn::RSquared(ta, pa),
                     nn::PearsonR(ta, pa));
  }
  if (num_tags > 0) {
    const nn::TagReport tr = nn::EvaluateTags(tag_truth, tag_scores, num_tags);
    j["tags"] = TagJson(tr, tag_names, tag_positives);
    s += fmt::format("\ntags: macro ROC-AUC {:.4f}  macro PR-AUC {:.4f}\n",
                     tr.macro_roc_auc, tr.macro_pr_auc);
    s += fmt::format("{:<24} {:>8} {:>8} {:>9}\n", "tag", "ROC-AUC", "PR-AUC",
                     "positives");
    for (int g = 0; g < num_tags; ++g) {
      s += fmt::format("{:<24} {:>8.4f} {:>8.4f} {:>9}\n", tag_names[g],
                       tr.roc_auc[g], tr.pr_auc[g], tag_positives[g]);
    }
  }
  if (!missing_tags.empty()) {
    if (!j.contains("tags")) j["tags"] = nlohmann::json::object();
    j["tags"]["missing"] = missing_tags;
    std::string list;
    for (const std::string& m : missing_tags)
      list += (list.empty() ? "" : ", ") + m;
    s += fmt::format(
        "note: {} tag(s) of the model are not in the data, skipped: {}\n",
        missing_tags.size(), list);
  }
  if (tag_head && !data.has_tags()) {
    s += "note: the data has no tag labels; the model's tags are not "
         "evaluated\n";
  }
  if (!data.failures().empty()) {
    nlohmann::json f = nlohmann::json::array();
    for (const auto& x : data.failures())
      f.push_back({{"path", x.path}, {"error", x.reason}});
    j["failures"] = f;
  }
  return report;
}

}  // namespace mer::worker
