#include "worker/train_job.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <numeric>

#include "common/nn/fold_statistics.h"
#include "common/nn/metrics.h"
#include "worker/metrics_json.h"
#include "worker/svg_plot.h"

namespace mer::worker {
namespace fs = std::filesystem;

core::Status TrainJobOptions::Validate() const {
  auto bad = [](const std::string& m) {
    return core::Status::InvalidArgument(m);
  };
  if (data.empty()) return bad("--data is required");
  if (out.empty() && folds == 0)
    return bad("--out is required (or --folds K for CV only)");
  if (val_fraction < 0 || val_fraction >= 1)
    return bad("--val-fraction must be in [0, 1)");
  if (folds == 1 || folds < 0) return bad("--folds must be 0 or >= 2");
  if (!compare.empty() && folds == 0) return bad("--compare needs --folds K");
  for (const std::string& a : compare) {
    MER_RETURN_IF_ERROR(nn::ModelConfig::Named(a).status());
  }
  if (trainer.resume && folds > 0)
    return bad("--resume applies to a single run, not to --folds");
  TrainerOptions t = trainer;
  if (t.model.n_frames == 0)
    t.model.n_frames = 256;  // taken from the data later
  return t.Validate();
}

namespace {

// Metrics of track-level scores against the tracks' labels; with a tag
// head, "tags" (TagJson) too, and `tags_out` gets the tag report.
nlohmann::json ScoreMetrics(const TrainingData& data, const TrackScores& s,
                            const std::vector<std::string>& names,
                            nn::ClassificationReport* report_out = nullptr,
                            nn::TagReport* tags_out = nullptr) {
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
    if (tags_out) *tags_out = tr;
  }
  if (report_out) *report_out = r;
  return j;
}

std::vector<int> Labels(const TrainingData& data, const std::vector<int>& idx) {
  std::vector<int> l;
  for (int i : idx) l.push_back(data.tracks()[i].quadrant);
  return l;
}

// Splits `pool` into (train, val) with `fraction` of its groups in val.
core::Status SplitValidation(const TrainingData& data,
                             const std::vector<int>& pool, double fraction,
                             uint64_t seed, std::vector<int>* train,
                             std::vector<int>* val) {
  train->clear();
  val->clear();
  if (fraction <= 0) {
    *train = pool;
    return core::Status::Ok();
  }
  const int k = std::max(2, static_cast<int>(std::lround(1.0 / fraction)));
  std::vector<std::string> groups;
  for (int i : pool) groups.push_back(data.tracks()[i].group);
  std::vector<int> fold;
  MER_RETURN_IF_ERROR(GroupedFolds(groups, Labels(data, pool), k, seed, &fold));
  for (size_t j = 0; j < pool.size(); ++j)
    (fold[j] == 0 ? val : train)->push_back(pool[j]);
  return core::Status::Ok();
}

std::string HistoryCsv(
    const std::vector<std::pair<std::string, EpochMetrics>>& rows) {
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

std::string DefaultMetricsDir(const TrainJobOptions& o) {
  if (!o.metrics_dir.empty()) return o.metrics_dir;
  if (o.out.empty()) return "mer-cv.metrics";
  fs::path p(o.out);
  p.replace_extension("");
  return p.string() + ".metrics";
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
  return WriteTextFile((fs::path(dir) / "learning_curves.svg").string(),
                       LearningCurvesSvg(title, curves));
}

void AppendCsvRow(std::string* csv, const std::string& arch, int fold,
                  const TrainingData& data, const TrackScores& s) {
  for (size_t k = 0; k < s.tracks.size(); ++k) {
    const TrainingTrack& t = data.tracks()[s.tracks[k]];
    *csv += fmt::format("{},{},\"{}\",{}", arch, fold, t.track_id, t.quadrant);
    for (int c = 0; c < 4; ++c)
      *csv += fmt::format(",{:.6f}", s.probs[k * 4 + c]);
    *csv += fmt::format(",{:.6f},{:.6f}", s.va[k * 2], s.va[k * 2 + 1]);
    for (int g = 0; g < s.num_tags; ++g)
      *csv += fmt::format(",{:.6f}", s.tag_probs[k * s.num_tags + g]);
    *csv += "\n";
  }
}

core::Result<TrainJobReport> SingleRun(const TrainJobOptions& o,
                                       const TrainingData& data,
                                       const std::string& dir,
                                       comm::Communicator& comm) {
  std::vector<int> all(data.tracks().size());
  std::iota(all.begin(), all.end(), 0);
  std::vector<int> train, val;
  const uint64_t seed = o.split_seed ? o.split_seed : o.trainer.seed;
  MER_RETURN_IF_ERROR(
      SplitValidation(data, all, o.val_fraction, seed, &train, &val));
  if (comm.rank() == 0) {
    spdlog::info("train: {} tracks for training, {} for validation",
                 train.size(), val.size());
  }
  BundleRequest bundle;
  bundle.path = o.out;
  bundle.manifest.label_names = o.label_names;
  MER_ASSIGN_OR_RETURN(TrainOutcome out, TrainModel(data, train, val, {},
                                                    o.trainer, comm, &bundle));
  TrainJobReport report;
  nlohmann::json& j = report.json;
  j["model"] = o.out;
  j["model_id"] = out.model_id;
  j["train_tracks"] = train.size();
  j["val_tracks"] = val.size();
  j["epochs_run"] = out.history.size();
  j["kept_epoch"] = out.kept_epoch;
  j["stopped_early"] = out.stopped_early;
  j["train_seconds"] = out.train_seconds;
  j["segments_per_second"] =
      out.train_seconds > 0 ? out.segments_trained / out.train_seconds : 0.0;
  nlohmann::json hist = nlohmann::json::array();
  std::vector<std::pair<std::string, EpochMetrics>> rows;
  for (const auto& m : out.history) {
    hist.push_back(m.ToJson());
    rows.emplace_back("train", m);
  }
  j["history"] = hist;
  report.text =
      fmt::format("train: model {} ({}) after {} epochs (kept: {}), {:.0f} s\n",
                  o.out, out.model_id, out.history.size(),
                  out.kept_epoch ? fmt::format("epoch {}", out.kept_epoch)
                                 : std::string("weight average"),
                  out.train_seconds);
  nn::ClassificationReport r;
  if (!val.empty()) {
    nn::TagReport tr;
    j["validation"] = ScoreMetrics(data, out.val, o.label_names, &r, &tr);
    report.text += fmt::format(
        "validation ({} tracks): accuracy {:.3f}, macro-F1 {:.3f}\n",
        val.size(), r.accuracy, r.macro_f1);
    if (out.val.num_tags > 0) {
      report.text += fmt::format(
          "validation tags ({}): macro ROC-AUC {:.3f}, macro PR-AUC {:.3f}\n",
          out.val.num_tags, tr.macro_roc_auc, tr.macro_pr_auc);
    }
  }
  if (comm.rank() == 0) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    MER_RETURN_IF_ERROR(WriteTextFile((fs::path(dir) / "history.csv").string(),
                                      HistoryCsv(rows)));
    MER_RETURN_IF_ERROR(WriteTextFile((fs::path(dir) / "history.json").string(),
                                      hist.dump(1) + "\n"));
    MER_RETURN_IF_ERROR(
        WriteCurves(dir, "mer train: " + o.trainer.model.arch, out.history));
    if (!val.empty()) {
      MER_RETURN_IF_ERROR(WriteTextFile(
          (fs::path(dir) / "confusion.svg").string(),
          ConfusionSvg("validation confusion", r.confusion, o.label_names)));
    }
    j["metrics_dir"] = dir;
    MER_RETURN_IF_ERROR(WriteTextFile((fs::path(dir) / "report.json").string(),
                                      j.dump(1) + "\n"));
    report.text += "reports: " + dir + "\n";
  }
  return report;
}

core::Result<TrainJobReport> CrossValidate(const TrainJobOptions& o,
                                           const TrainingData& data,
                                           const std::string& dir,
                                           comm::Communicator& comm) {
  const size_t n = data.tracks().size();
  std::vector<std::string> groups;
  std::vector<int> labels;
  for (const auto& t : data.tracks()) {
    groups.push_back(t.group);
    labels.push_back(t.quadrant);
  }
  const uint64_t seed = o.split_seed ? o.split_seed : o.trainer.seed;
  std::vector<int> fold;
  MER_RETURN_IF_ERROR(GroupedFolds(groups, labels, o.folds, seed, &fold));
  std::vector<std::string> archs = o.compare;
  if (archs.empty()) archs.push_back("");  // the configured model
  std::error_code ec;
  if (comm.rank() == 0) {
    fs::create_directories(dir, ec);
    std::string csv = "track_id,group,quadrant,fold\n";
    for (size_t i = 0; i < n; ++i) {
      csv += fmt::format("\"{}\",\"{}\",{},{}\n", data.tracks()[i].track_id,
                         data.tracks()[i].group, data.tracks()[i].quadrant,
                         fold[i]);
    }
    MER_RETURN_IF_ERROR(
        WriteTextFile((fs::path(dir) / "folds.csv").string(), csv));
  }
  TrainJobReport report;
  nlohmann::json rows_json = nlohmann::json::array();
  std::vector<std::vector<double>> f1_per_row;
  std::vector<std::string> row_names;
  std::vector<std::pair<std::string, EpochMetrics>> history_rows;
  std::string preds =
      "arch,fold,track_id,quadrant,p_happy,p_tense,p_sad,p_calm,valence,"
      "arousal";
  if (o.trainer.tags) {
    for (const std::string& tag : data.tag_names()) {
      preds += ",\"tag:" + tag + "\"";
    }
  }
  preds += "\n";
  std::vector<std::vector<int64_t>> pooled_confusion(
      4, std::vector<int64_t>(4, 0));
  for (const std::string& arch : archs) {
    TrainerOptions t = o.trainer;
    if (!arch.empty()) {
      MER_ASSIGN_OR_RETURN(nn::ModelConfig c, nn::ModelConfig::Named(arch));
      c.n_frames = o.trainer.model.n_frames;
      t.model = c;
    }
    const std::string name = arch.empty() ? t.model.arch : arch;
    std::map<std::string, std::vector<double>> per_metric;
    nlohmann::json folds_json = nlohmann::json::array();
    for (int f = 0; f < o.folds; ++f) {
      std::vector<int> pool, test, train, val;
      for (size_t i = 0; i < n; ++i)
        (fold[i] == f ? test : pool).push_back(static_cast<int>(i));
      MER_RETURN_IF_ERROR(SplitValidation(data, pool, o.val_fraction,
                                          seed + 1000 + f, &train, &val));
      t.label = fmt::format("{} fold {}/{}", name, f + 1, o.folds);
      if (!o.trainer.checkpoint_dir.empty()) {
        t.checkpoint_dir = (fs::path(o.trainer.checkpoint_dir) /
                            fmt::format("{}-fold{}", name, f))
                               .string();
      }
      MER_ASSIGN_OR_RETURN(TrainOutcome out,
                           TrainModel(data, train, val, test, t, comm));
      nn::ClassificationReport r;
      nn::TagReport tr;
      nlohmann::json m = ScoreMetrics(data, out.test, o.label_names, &r, &tr);
      m["fold"] = f;
      m["kept_epoch"] = out.kept_epoch;
      m["epochs_run"] = out.history.size();
      folds_json.push_back(m);
      per_metric["accuracy"].push_back(r.accuracy);
      per_metric["macro_precision"].push_back(r.macro_precision);
      per_metric["macro_recall"].push_back(r.macro_recall);
      per_metric["macro_f1"].push_back(r.macro_f1);
      for (int c = 0; c < 4; ++c)
        per_metric["f1_" + o.label_names[c]].push_back(r.f1[c]);
      if (out.test.num_tags > 0) {
        per_metric["tag_macro_roc_auc"].push_back(tr.macro_roc_auc);
        per_metric["tag_macro_pr_auc"].push_back(tr.macro_pr_auc);
      }
      for (int a = 0; a < 4; ++a)
        for (int b = 0; b < 4; ++b) pooled_confusion[a][b] += r.confusion[a][b];
      for (const auto& h : out.history)
        history_rows.emplace_back(fmt::format("{}-fold{}", name, f), h);
      AppendCsvRow(&preds, name, f, data, out.test);
      if (comm.rank() == 0) {
        std::string line =
            fmt::format("{}: test macro-F1 {:.3f}, accuracy {:.3f}", t.label,
                        r.macro_f1, r.accuracy);
        if (out.test.num_tags > 0) {
          line += fmt::format(", tag macro ROC-AUC {:.3f}, PR-AUC {:.3f}",
                              tr.macro_roc_auc, tr.macro_pr_auc);
        }
        fmt::print(stderr, "{} ({} tracks)\n", line, test.size());
      }
    }
    nlohmann::json row = {{"arch", name}, {"folds", folds_json}};
    for (const auto& [k, v] : per_metric) {
      const nn::MeanStd ms = nn::MeanAndStd(v);
      row["mean"][k] = ms.mean;
      row["std"][k] = ms.std;
    }
    rows_json.push_back(row);
    f1_per_row.push_back(per_metric["macro_f1"]);
    row_names.push_back(name);
  }
  // The table: one row per architecture, same folds, paired t-tests of
  // macro-F1 against the best row.
  size_t best = 0;
  for (size_t i = 0; i < rows_json.size(); ++i) {
    if (rows_json[i]["mean"]["macro_f1"].get<double>() >
        rows_json[best]["mean"]["macro_f1"].get<double>())
      best = i;
  }
  std::string& txt = report.text;
  txt += fmt::format(
      "{}-fold artist-grouped cross-validation, {} tracks (track-level, mean "
      "+- std over folds)\n\n",
      o.folds, n);
  txt += fmt::format(
      "| {:<10} | {:<15} | {:<15} | {:<15} | {:<15} | {:<22} |\n", "arch",
      "macro-F1", "accuracy", "macro-P", "macro-R", "vs best (paired t)");
  txt +=
      "|------------|-----------------|-----------------|-----------------|----"
      "-------------|------------------------|\n";
  for (size_t i = 0; i < rows_json.size(); ++i) {
    auto cell = [&](const char* k) {
      return fmt::format("{:.3f} +- {:.3f}",
                         rows_json[i]["mean"][k].get<double>(),
                         rows_json[i]["std"][k].get<double>());
    };
    std::string test = "(best)";
    if (i != best) {
      auto tt = nn::PairedTTest(f1_per_row[i], f1_per_row[best]);
      if (tt.ok()) {
        test = fmt::format("t={:.2f} p={:.3f}", tt->t, tt->p_value);
        rows_json[i]["vs_best"] = {
            {"t", tt->t}, {"p", tt->p_value}, {"best", row_names[best]}};
      }
    }
    txt +=
        fmt::format("| {:<10} | {:<15} | {:<15} | {:<15} | {:<15} | {:<22} |\n",
                    row_names[i], cell("macro_f1"), cell("accuracy"),
                    cell("macro_precision"), cell("macro_recall"), test);
  }
  if (o.trainer.tags) {
    txt += fmt::format("\ntags ({}, macro over tags)\n\n",
                       data.tag_names().size());
    txt += fmt::format("| {:<10} | {:<15} | {:<15} |\n", "arch", "ROC-AUC",
                       "PR-AUC");
    txt += "|------------|-----------------|-----------------|\n";
    for (size_t i = 0; i < rows_json.size(); ++i) {
      auto cell = [&](const char* k) {
        return fmt::format("{:.3f} +- {:.3f}",
                           rows_json[i]["mean"][k].get<double>(),
                           rows_json[i]["std"][k].get<double>());
      };
      txt += fmt::format("| {:<10} | {:<15} | {:<15} |\n", row_names[i],
                         cell("tag_macro_roc_auc"), cell("tag_macro_pr_auc"));
    }
  }
  report.json["cv"] = {{"folds", o.folds},
                       {"tracks", n},
                       {"rows", rows_json},
                       {"best", row_names[best]},
                       {"pooled_confusion", pooled_confusion}};
  if (comm.rank() == 0) {
    MER_RETURN_IF_ERROR(WriteTextFile((fs::path(dir) / "history.csv").string(),
                                      HistoryCsv(history_rows)));
    MER_RETURN_IF_ERROR(
        WriteTextFile((fs::path(dir) / "cv_predictions.csv").string(), preds));
    MER_RETURN_IF_ERROR(
        WriteTextFile((fs::path(dir) / "confusion.svg").string(),
                      ConfusionSvg("pooled test-fold confusion",
                                   pooled_confusion, o.label_names)));
    // Learning curves of the first fold of the last row.
    std::vector<EpochMetrics> first;
    for (const auto& [run, m] : history_rows) {
      if (run == history_rows.front().first) first.push_back(m);
    }
    MER_RETURN_IF_ERROR(
        WriteCurves(dir, "mer train: " + history_rows.front().first, first));
  }
  // A final model on every track.
  if (!o.out.empty()) {
    TrainJobOptions final_o = o;
    final_o.folds = 0;
    final_o.compare.clear();
    final_o.val_fraction = 0;
    if (!o.compare.empty()) {
      MER_ASSIGN_OR_RETURN(nn::ModelConfig c,
                           nn::ModelConfig::Named(row_names[best]));
      c.n_frames = o.trainer.model.n_frames;
      final_o.trainer.model = c;
    }
    final_o.trainer.label = "final";
    MER_ASSIGN_OR_RETURN(TrainJobReport fr,
                         SingleRun(final_o, data, dir + "/final", comm));
    report.json["final"] = fr.json;
    txt += "\n" + fr.text;
  }
  if (comm.rank() == 0) {
    MER_RETURN_IF_ERROR(WriteTextFile((fs::path(dir) / "report.json").string(),
                                      report.json.dump(1) + "\n"));
    txt += "reports: " + dir + "\n";
  }
  return report;
}

}  // namespace

core::Result<TrainJobReport> RunTrainJob(const TrainJobOptions& options,
                                         comm::Communicator& comm) {
  MER_RETURN_IF_ERROR(options.Validate());
  MER_ASSIGN_OR_RETURN(TrainingData data,
                       TrainingData::Open(options.data, options.source, comm));
  if (comm.rank() == 0) {
    spdlog::info("train: {} tracks ({} failed), front end {}",
                 data.tracks().size(), data.failures().size(),
                 data.front_end_digest());
  }
  const std::string dir = DefaultMetricsDir(options);
  TrainJobOptions o = options;
  if (o.trainer.model.n_frames == 0) {
    MER_ASSIGN_OR_RETURN(dsp::FrontEndParams fe,
                         dsp::FrontEndParams::FromJson(data.front_end()));
    o.trainer.model.n_frames = fe.SegmentFrames();
  }
  if (o.folds > 0) return CrossValidate(o, data, dir, comm);
  return SingleRun(o, data, dir, comm);
}

}  // namespace mer::worker
