#include "worker/train/eval_job.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "common/core/atomic_file.h"
#include "common/core/emotion.h"
#include "common/nn/metrics.h"
#include "common/nn/va_calibration.h"
#include "worker/train/metrics_json.h"
#include "worker/train/training_data.h"

namespace mer::worker {

core::Status EvalOptions::Validate() const {
  if (model.empty())
    return core::Status::InvalidArgument("--model is required");
  if (data.empty()) return core::Status::InvalidArgument("--data is required");
  return predict.predictor.Validate();
}

namespace {

// The model's tags that the data has (the others are skipped).
struct TagMatch {
  std::vector<std::string> names, missing;
  std::vector<int> model_index, data_index;
  bool head = false;  // the model has a tag head
};

TagMatch MatchTags(const nn::BundleManifest& manifest,
                   const TrainingData& data) {
  TagMatch m;
  m.head = manifest.config.num_tags > 0 &&
           manifest.tag_names.size() ==
               static_cast<size_t>(manifest.config.num_tags);
  if (!m.head || !data.has_tags()) return m;
  const auto& names = data.tag_names();
  for (size_t i = 0; i < manifest.tag_names.size(); ++i) {
    auto it =
        std::lower_bound(names.begin(), names.end(), manifest.tag_names[i]);
    if (it == names.end() || *it != manifest.tag_names[i]) {
      m.missing.push_back(manifest.tag_names[i]);
      continue;
    }
    m.names.push_back(manifest.tag_names[i]);
    m.model_index.push_back(static_cast<int>(i));
    m.data_index.push_back(static_cast<int>(it - names.begin()));
  }
  return m;
}

// Every track's truth and prediction, as the metrics take them.
struct EvalSamples {
  std::string csv;  // the predictions file's rows
  std::vector<int> truth, pred;
  std::vector<double> confidence;  // of labelled tracks' predictions
  std::vector<int> correct;
  int64_t contradictions = 0;  // V-A point outside the predicted quadrant
  std::vector<double> tv, ta, pv, pa;  // V-A truth and prediction
  std::vector<int> tag_truth;
  std::vector<double> tag_scores;
  std::vector<int64_t> tag_positives;
};

core::Result<EvalSamples> PredictAll(TrackPredictor& predictor,
                                     const TrainingData& data,
                                     const TagMatch& tags) {
  EvalSamples s;
  const int num_tags = static_cast<int>(tags.names.size());
  s.tag_positives.assign(num_tags, 0);
  for (const TrainingTrack& t : data.tracks()) {
    MER_ASSIGN_OR_RETURN(
        nn::TrackPrediction p,
        predictor.PredictMel(t.mel, data.n_rows(), t.n_frames));
    s.truth.push_back(t.quadrant);
    s.pred.push_back(p.quadrant);
    s.contradictions += static_cast<int>(core::QuadrantOf(
                            p.valence, p.arousal)) != p.quadrant;
    if (t.quadrant >= 0) {
      s.confidence.push_back(p.quadrant_probs[p.quadrant]);
      s.correct.push_back(p.quadrant == t.quadrant);
    }
    s.csv += fmt::format("\"{}\",\"{}\",{},{}", t.track_id, t.path, t.quadrant,
                         p.quadrant);
    for (float x : p.quadrant_probs) s.csv += fmt::format(",{:.9g}", x);
    s.csv += fmt::format(",{:.9g},{:.9g}\n", p.valence, p.arousal);
    if (t.has_va) {
      s.tv.push_back(t.valence);
      s.ta.push_back(t.arousal);
      s.pv.push_back(p.valence);
      s.pa.push_back(p.arousal);
    }
    for (int g = 0; g < num_tags; ++g) {
      s.tag_truth.push_back(t.tags[tags.data_index[g]]);
      s.tag_positives[g] += t.tags[tags.data_index[g]];
      s.tag_scores.push_back(p.tag_probs[tags.model_index[g]]);
    }
  }
  return s;
}

std::string ClassificationText(const nn::ClassificationReport& r,
                               const std::vector<std::string>& labels) {
  const int k = static_cast<int>(labels.size());
  std::string s = fmt::format(
      "accuracy {:.4f}  macro precision {:.4f}  recall {:.4f}  F1 {:.4f}\n\n",
      r.accuracy, r.macro_precision, r.macro_recall, r.macro_f1);
  s += fmt::format("{:<8} {:>9} {:>9} {:>9} {:>8}\n", "class", "precision",
                   "recall", "f1", "support");
  for (int c = 0; c < k; ++c) {
    s += fmt::format("{:<8} {:>9.3f} {:>9.3f} {:>9.3f} {:>8}\n", labels[c],
                     r.precision[c], r.recall[c], r.f1[c], r.support[c]);
  }
  s += "\nconfusion (rows: true, columns: predicted)\n" + std::string(9, ' ');
  for (int c = 0; c < k; ++c) s += fmt::format("{:>7}", labels[c]);
  s += "\n";
  for (int t = 0; t < k; ++t) {
    s += fmt::format("{:<9}", labels[t]);
    for (int p = 0; p < k; ++p) s += fmt::format("{:>7}", r.confusion[t][p]);
    s += "\n";
  }
  return s;
}

void AddVa(const EvalSamples& e, EvalReport* report) {
  if (e.tv.empty()) return;
  report->json["valence"] = RegressionJson(e.tv, e.pv);
  report->json["arousal"] = RegressionJson(e.ta, e.pa);
  report->text += fmt::format("\nvalence: RMSE {:.4f}  R2 {:.4f}  r {:.4f}\n",
                              nn::Rmse(e.tv, e.pv), nn::RSquared(e.tv, e.pv),
                              nn::PearsonR(e.tv, e.pv));
  report->text += fmt::format("arousal: RMSE {:.4f}  R2 {:.4f}  r {:.4f}\n",
                              nn::Rmse(e.ta, e.pa), nn::RSquared(e.ta, e.pa),
                              nn::PearsonR(e.ta, e.pa));
}

// Expected calibration error of the mood's probability, the bundle's
// calibration, and how many tracks' V-A point lies outside their mood.
void AddConfidence(const EvalSamples& e, const nn::BundleManifest& manifest,
                   EvalReport* report) {
  nlohmann::json& j = report->json;
  const double ece = nn::ExpectedCalibrationError(e.confidence, e.correct);
  j["ece"] = std::isnan(ece) ? nlohmann::json(nullptr) : nlohmann::json(ece);
  j["va_mood_contradictions"] = e.contradictions;
  const bool calibrated = manifest.config.quadrant_head == "va" &&
                          manifest.calibration.fitted;
  if (calibrated) j["calibration"] = manifest.calibration.ToJson();
  report->text += fmt::format(
      "\nconfidence: expected calibration error {:.4f} (10 bins, {} labelled "
      "tracks, {}); V-A point outside the mood: {} tracks\n",
      ece, e.confidence.size(),
      calibrated ? "calibrated by the bundle" : "uncalibrated",
      e.contradictions);
}

void AddTags(const EvalSamples& e, const TagMatch& tags, bool data_has_tags,
             EvalReport* report) {
  nlohmann::json& j = report->json;
  std::string& s = report->text;
  const int n = static_cast<int>(tags.names.size());
  if (n > 0) {
    const nn::TagReport tr = nn::EvaluateTags(e.tag_truth, e.tag_scores, n);
    j["tags"] = TagJson(tr, tags.names, e.tag_positives);
    s += fmt::format("\ntags: macro ROC-AUC {:.4f}  macro PR-AUC {:.4f}\n",
                     tr.macro_roc_auc, tr.macro_pr_auc);
    s += fmt::format("{:<24} {:>8} {:>8} {:>9}\n", "tag", "ROC-AUC", "PR-AUC",
                     "positives");
    for (int g = 0; g < n; ++g) {
      s += fmt::format("{:<24} {:>8.4f} {:>8.4f} {:>9}\n", tags.names[g],
                       tr.roc_auc[g], tr.pr_auc[g], e.tag_positives[g]);
    }
  }
  if (!tags.missing.empty()) {
    if (!j.contains("tags")) j["tags"] = nlohmann::json::object();
    j["tags"]["missing"] = tags.missing;
    std::string list;
    for (const std::string& m : tags.missing) {
      list += (list.empty() ? "" : ", ") + m;
    }
    s += fmt::format(
        "note: {} tag(s) of the model are not in the data, skipped: {}\n",
        tags.missing.size(), list);
  }
  if (tags.head && !data_has_tags) {
    s += "note: the data has no tag labels; the model's tags are not "
         "evaluated\n";
  }
}

}  // namespace

core::Result<EvalReport> RunEval(const EvalOptions& options,
                                 comm::Communicator& comm) {
  MER_RETURN_IF_ERROR(options.Validate());
  MER_ASSIGN_OR_RETURN(TrackPredictor predictor,
                       TrackPredictor::Open(options.model, options.predict));
  const nn::BundleManifest& manifest = predictor.manifest();
  LabelsSourceOptions source;
  source.front_end = predictor.front_end();
  source.descriptors = predictor.features().descriptors;
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
  if (manifest.config.descriptor_rows > 0 &&
      (data.descriptor_rows() != manifest.config.descriptor_rows ||
       data.descriptors() != manifest.descriptors)) {
    return core::Status::InvalidArgument(
        options.data,
        "the model reads hand-crafted descriptors made with other "
        "parameters than these features' (re-extract them with `mer extract "
        "--descriptors`, or evaluate on the labels CSV)");
  }
  const TagMatch tags = MatchTags(manifest, data);
  MER_ASSIGN_OR_RETURN(EvalSamples e, PredictAll(predictor, data, tags));
  const nn::ClassificationReport r = nn::EvaluateClassification(
      e.truth, e.pred, static_cast<int>(manifest.label_names.size()));
  EvalReport report;
  nlohmann::json& j = report.json;
  j["model"] = options.model;
  j["model_id"] = manifest.model_id;
  j["data"] = options.data;
  j["tracks"] = data.tracks().size();
  j["failed"] = data.failures().size();
  j["labels"] = manifest.label_names;
  AddClassificationJson(r, manifest.label_names, &j);
  report.text =
      fmt::format("eval: {} on {} ({} tracks, {} failed)\n", options.model,
                  options.data, data.tracks().size(), data.failures().size()) +
      ClassificationText(r, manifest.label_names);
  AddVa(e, &report);
  AddConfidence(e, manifest, &report);
  if (!data.lexicon().is_null()) j["lexicon"] = data.lexicon();
  AddTags(e, tags, data.has_tags(), &report);
  if (!options.predictions_csv.empty() && comm.rank() == 0) {
    std::string header = "track_id,path,quadrant,predicted";
    for (const std::string& l : manifest.label_names) header += ",p_" + l;
    MER_RETURN_IF_ERROR(core::WriteFileAtomic(
        options.predictions_csv, {header + ",valence,arousal\n", e.csv}));
    j["predictions"] = options.predictions_csv;
  }
  if (!data.failures().empty()) {
    nlohmann::json f = nlohmann::json::array();
    for (const auto& x : data.failures()) {
      f.push_back({{"path", x.path}, {"error", x.reason}});
    }
    j["failures"] = f;
  }
  return report;
}

}  // namespace mer::worker
