#include "worker/train/train_reports.h"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>

#include "common/core/atomic_file.h"
#include "worker/train/metrics_json.h"
#include "worker/train/svg_plot.h"

namespace mer::worker {

nlohmann::json ScoreMetrics(const TrainingData& data, const TrackScores& s,
                            const std::vector<std::string>& names,
                            nn::ClassificationReport* report,
                            nn::TagReport* tags) {
  std::vector<int> truth;
  std::vector<double> tv, ta, pv, pa;
  for (size_t k = 0; k < s.tracks.size(); ++k) {
    const TrainingTrack& t = data.tracks()[s.tracks[k]];
    truth.push_back(t.quadrant);
    if (t.has_va) {
      tv.push_back(t.valence);
      ta.push_back(t.arousal);
      pv.push_back(s.va[k * 2]);
      pa.push_back(s.va[k * 2 + 1]);
    }
  }
  const nn::ClassificationReport r =
      nn::EvaluateClassification(truth, nn::ArgmaxRows(s.probs, 4), 4);
  nlohmann::json j = {{"tracks", s.tracks.size()}};
  AddClassificationJson(r, names, &j);
  if (!tv.empty()) {
    j["valence"] = RegressionJson(tv, pv);
    j["arousal"] = RegressionJson(ta, pa);
  }
  if (s.num_tags > 0) {
    const nn::TagReport tr = EvaluateTrackTags(data, s);
    j["tags"] = TagJson(tr, data.tag_names(), TagPositives(data, s.tracks));
    if (tags) *tags = tr;
  }
  if (report) *report = r;
  return j;
}

std::string HistoryCsv(const HistoryRows& rows) {
  std::string s =
      "run,epoch,lr,train_loss,val_loss,val_accuracy,val_macro_f1,"
      "val_tag_roc_auc,val_tag_pr_auc,seconds,samples\n";
  auto f = [](double v) {
    return std::isnan(v) ? std::string() : fmt::format("{:.6g}", v);
  };
  for (const auto& [run, m] : rows) {
    s += fmt::format("{},{},{:.6g},{:.6g},{},{},{},{},{},{:.3f},{}\n", run,
                     m.epoch, m.lr, m.train_loss, f(m.val_loss),
                     f(m.val_accuracy), f(m.val_macro_f1), f(m.val_tag_roc_auc),
                     f(m.val_tag_pr_auc), m.seconds, m.samples);
  }
  return s;
}

core::Status WriteCurves(const std::string& dir, const std::string& title,
                         const std::vector<EpochMetrics>& h) {
  Curve loss{"train loss", {}, "#1f77b4", false},
      vloss{"val loss", {}, "#ff7f0e", false};
  Curve f1{"val macro-F1", {}, "#2ca02c", true},
      acc{"val accuracy", {}, "#9467bd", true},
      auc{"val tag ROC-AUC", {}, "#d62728", true};
  bool tags = false;
  for (const auto& m : h) {
    loss.y.push_back(m.train_loss);
    vloss.y.push_back(m.val_loss);
    f1.y.push_back(m.val_macro_f1);
    acc.y.push_back(m.val_accuracy);
    auc.y.push_back(m.val_tag_roc_auc);
    tags = tags || !std::isnan(m.val_tag_roc_auc);
  }
  std::vector<Curve> curves = {loss, vloss, f1, acc};
  if (tags) curves.push_back(auc);
  return core::WriteFileAtomic(ReportFile(dir, "learning_curves.svg"),
                               LearningCurvesSvg(title, curves));
}

std::string PredictionsCsvHeader(const std::vector<std::string>& tag_names) {
  std::string h =
      "arch,fold,track_id,quadrant,p_happy,p_tense,p_sad,p_calm,valence,"
      "arousal";
  for (const std::string& tag : tag_names) h += ",\"tag:" + tag + "\"";
  return h + "\n";
}

void AppendPredictionRows(const std::string& arch, int fold,
                          const TrainingData& data, const TrackScores& s,
                          std::string* csv) {
  for (size_t k = 0; k < s.tracks.size(); ++k) {
    const TrainingTrack& t = data.tracks()[s.tracks[k]];
    *csv += fmt::format("{},{},\"{}\",{}", arch, fold, t.track_id, t.quadrant);
    for (int c = 0; c < 4; ++c) {
      *csv += fmt::format(",{:.6f}", s.probs[k * 4 + c]);
    }
    *csv += fmt::format(",{:.6f},{:.6f}", s.va[k * 2], s.va[k * 2 + 1]);
    for (int g = 0; g < s.num_tags; ++g) {
      *csv += fmt::format(",{:.6f}", s.tag_probs[k * s.num_tags + g]);
    }
    *csv += "\n";
  }
}

std::string ReportFile(const std::string& dir, const std::string& name) {
  return (std::filesystem::path(dir) / name).string();
}

}  // namespace mer::worker
