#include "worker/eval_job.h"

#include <fmt/format.h>

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
  if (!data.failures().empty()) {
    nlohmann::json f = nlohmann::json::array();
    for (const auto& x : data.failures())
      f.push_back({{"path", x.path}, {"error", x.reason}});
    j["failures"] = f;
  }
  return report;
}

}  // namespace mer::worker
