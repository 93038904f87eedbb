// Grouped k-fold cross-validation of `mer train --folds K [--compare A,B]`:
// every architecture on the same folds, a table of mean +- std with paired
// t-tests against the best row, and a final model that carries the figures.
#include <fmt/format.h>

#include <filesystem>
#include <map>

#include "common/core/atomic_file.h"
#include "common/nn/fold_statistics.h"
#include "worker/train/bundle_writer.h"
#include "worker/train/calibration_report.h"
#include "worker/train/svg_plot.h"
#include "worker/train/train_reports.h"
#include "worker/train/train_runs.h"
#include "worker/train/trainer.h"

namespace mer::worker {
namespace fs = std::filesystem;
namespace {

// One architecture on every fold.
struct CvRow {
  std::string name;
  nlohmann::json json;           // arch, folds, mean, std (vs_best later)
  std::vector<double> macro_f1;  // per fold
  OutOfFold oof;                 // every test-fold prediction
  CalibrationFigures calibration;
};

// What every row adds to.
struct CvPooled {
  HistoryRows history;
  std::string predictions;
  std::vector<std::vector<int64_t>> confusion =
      std::vector<std::vector<int64_t>>(4, std::vector<int64_t>(4, 0));
};

// The configured model, or the named architecture at the configured crop.
core::Result<TrainerOptions> ArchOptions(const TrainJobOptions& o,
                                         const std::string& arch) {
  TrainerOptions t = o.trainer;
  if (arch.empty()) return t;
  MER_ASSIGN_OR_RETURN(nn::ModelConfig c, nn::ModelConfig::Named(arch));
  c.n_frames = o.trainer.model.n_frames;
  t.model = c;
  return t;
}

// Fold f of one row: trains on the other folds (less their validation
// groups), scores the test fold, adds to the row's metrics and the pool.
core::Status RunFold(const TrainJobOptions& o, const TrainingData& data,
                     const std::vector<int>& fold, int f,
                     const std::string& name, const TrainerOptions& t,
                     comm::Communicator& comm,
                     std::map<std::string, std::vector<double>>* per_metric,
                     nlohmann::json* folds_json, OutOfFold* oof,
                     CvPooled* pooled) {
  TrainSplit split;
  std::vector<int> pool;
  for (size_t i = 0; i < fold.size(); ++i) {
    (fold[i] == f ? split.test : pool).push_back(static_cast<int>(i));
  }
  const uint64_t seed = (o.split_seed ? o.split_seed : o.trainer.seed);
  MER_RETURN_IF_ERROR(SplitValidation(
      data, pool, o.val_fraction, seed + 1000 + f, &split.train, &split.val));
  TrainerRunOptions run = o.run;
  run.label = fmt::format("{} fold {}/{}", name, f + 1, o.folds);
  if (!o.run.checkpoint_dir.empty()) {
    run.checkpoint_dir =
        (fs::path(o.run.checkpoint_dir) / fmt::format("{}-fold{}", name, f))
            .string();
  }
  BundleRequest bundle;  // with --fold-models: this fold's model
  if (!o.fold_models_dir.empty()) {
    bundle.path = (fs::path(o.fold_models_dir) /
                   fmt::format("{}-fold{}.merm", name, f))
                      .string();
    bundle.manifest.label_names = o.label_names;
    bundle.manifest.metrics["cross_validation_fold"] = {
        {"fold", f},
        {"folds", o.folds},
        {"test_tracks", split.test.size()},
        {"split_seed", seed}};
  }
  MER_ASSIGN_OR_RETURN(
      TrainOutcome out,
      TrainModel(data, split, t, run, comm,
                 o.fold_models_dir.empty() ? nullptr : &bundle));
  nn::ClassificationReport r;
  nn::TagReport tr;
  nlohmann::json m = ScoreMetrics(data, out.test, o.label_names, &r, &tr);
  m["fold"] = f;
  m["kept_epoch"] = out.kept_epoch;
  m["epochs_run"] = out.history.size();
  folds_json->push_back(m);
  (*per_metric)["accuracy"].push_back(r.accuracy);
  (*per_metric)["macro_precision"].push_back(r.macro_precision);
  (*per_metric)["macro_recall"].push_back(r.macro_recall);
  (*per_metric)["macro_f1"].push_back(r.macro_f1);
  for (int c = 0; c < 4; ++c) {
    (*per_metric)["f1_" + o.label_names[c]].push_back(r.f1[c]);
  }
  if (out.test.num_tags > 0) {
    (*per_metric)["tag_macro_roc_auc"].push_back(tr.macro_roc_auc);
    (*per_metric)["tag_macro_pr_auc"].push_back(tr.macro_pr_auc);
  }
  for (const char* axis : {"valence", "arousal"}) {
    if (!m.contains(axis)) continue;  // no V-A labels in this fold
    for (const char* stat : {"pearson", "rmse"}) {
      const nlohmann::json& v = m[axis][stat];
      if (v.is_number()) {
        (*per_metric)[std::string(axis) + "_" + stat].push_back(
            v.get<double>());
      }
    }
  }
  for (int a = 0; a < 4; ++a) {
    for (int b = 0; b < 4; ++b) pooled->confusion[a][b] += r.confusion[a][b];
  }
  for (const auto& h : out.history) {
    pooled->history.emplace_back(fmt::format("{}-fold{}", name, f), h);
  }
  AppendPredictionRows(name, f, data, out.test, &pooled->predictions);
  AddOutOfFold(data, f, out.test, oof);
  if (comm.rank() == 0) {
    std::string line = fmt::format("{}: test macro-F1 {:.3f}, accuracy {:.3f}",
                                   run.label, r.macro_f1, r.accuracy);
    if (out.test.num_tags > 0) {
      line += fmt::format(", tag macro ROC-AUC {:.3f}, PR-AUC {:.3f}",
                          tr.macro_roc_auc, tr.macro_pr_auc);
    }
    fmt::print(stderr, "{} ({} tracks)\n", line, split.test.size());
  }
  return core::Status::Ok();
}

core::Result<CvRow> RunRow(const TrainJobOptions& o, const TrainingData& data,
                           const std::vector<int>& fold,
                           const std::string& arch, comm::Communicator& comm,
                           CvPooled* pooled) {
  MER_ASSIGN_OR_RETURN(TrainerOptions t, ArchOptions(o, arch));
  CvRow row;
  row.name = arch.empty() ? t.model.arch : arch;
  std::map<std::string, std::vector<double>> per_metric;
  nlohmann::json folds_json = nlohmann::json::array();
  for (int f = 0; f < o.folds; ++f) {
    MER_RETURN_IF_ERROR(RunFold(o, data, fold, f, row.name, t, comm,
                                &per_metric, &folds_json, &row.oof, pooled));
  }
  row.calibration = CalibrateOutOfFold(
      row.oof, o.folds, t.model.quadrant_head == "va",
      fmt::format("out-of-fold predictions of {}-fold cross-validation, {} "
                  "tracks",
                  o.folds, row.oof.quadrant.size()));
  row.json = {{"arch", row.name},
              {"folds", folds_json},
              {"calibration", row.calibration.ToJson()}};
  for (const auto& [k, v] : per_metric) {
    const nn::MeanStd ms = nn::MeanAndStd(v);
    row.json["mean"][k] = ms.mean;
    row.json["std"][k] = ms.std;
  }
  row.macro_f1 = per_metric["macro_f1"];
  return row;
}

std::string Cell(const nlohmann::json& row, const char* k) {
  return fmt::format("{:.3f} +- {:.3f}", row["mean"][k].get<double>(),
                     row["std"][k].get<double>());
}

// The table a person reads: a row per architecture, paired t-tests of
// macro-F1 against the best row (recorded as "vs_best" in each row's JSON).
std::string CvTable(const TrainJobOptions& o, size_t tracks, size_t best,
                    std::vector<CvRow>* rows, size_t num_tags) {
  std::string txt = fmt::format(
      "{}-fold artist-grouped cross-validation, {} tracks (track-level, mean "
      "+- std over folds)\n",
      o.folds, tracks);
  if (o.trainer.eval_max_windows > 0) {
    txt += fmt::format(
        "scores of validation and test tracks from at most {} windows per "
        "track (--eval-windows); users' tracks get every window\n",
        o.trainer.eval_max_windows);
  }
  txt += fmt::format(
      "\n| {:<10} | {:<15} | {:<15} | {:<15} | {:<15} | {:<22} |\n", "arch",
      "macro-F1", "accuracy", "macro-P", "macro-R", "vs best (paired t)");
  txt +=
      "|------------|-----------------|-----------------|-----------------|"
      "-----------------|------------------------|\n";
  for (size_t i = 0; i < rows->size(); ++i) {
    CvRow& row = (*rows)[i];
    std::string test = "(best)";
    if (i != best) {
      auto tt = nn::PairedTTest(row.macro_f1, (*rows)[best].macro_f1);
      if (tt.ok()) {
        test = fmt::format("t={:.2f} p={:.3f}", tt->t, tt->p_value);
        row.json["vs_best"] = {
            {"t", tt->t}, {"p", tt->p_value}, {"best", (*rows)[best].name}};
      }
    }
    txt += fmt::format(
        "| {:<10} | {:<15} | {:<15} | {:<15} | {:<15} | {:<22} |\n", row.name,
        Cell(row.json, "macro_f1"), Cell(row.json, "accuracy"),
        Cell(row.json, "macro_precision"), Cell(row.json, "macro_recall"),
        test);
  }
  txt +=
      "\nconfidence: expected calibration error (10 bins) of the "
      "out-of-fold tracks, raw -> calibrated (cross-fitted)\n";
  for (const CvRow& row : *rows) {
    txt += fmt::format("  {:<10} {:.3f} -> {:.3f}\n", row.name,
                       row.calibration.ece_raw, row.calibration.ece);
  }
  if ((*rows)[best].json["mean"].contains("valence_pearson")) {
    txt += "\nvalence and arousal (Pearson r, RMSE against the V-A labels)\n\n";
    txt +=
        fmt::format("| {:<10} | {:<15} | {:<15} | {:<15} | {:<15} |\n", "arch",
                    "valence r", "valence RMSE", "arousal r", "arousal RMSE");
    txt +=
        "|------------|-----------------|-----------------|---------------"
        "--|-----------------|\n";
    for (const CvRow& row : *rows) {
      if (!row.json["mean"].contains("valence_pearson")) continue;
      txt += fmt::format(
          "| {:<10} | {:<15} | {:<15} | {:<15} | {:<15} |\n", row.name,
          Cell(row.json, "valence_pearson"), Cell(row.json, "valence_rmse"),
          Cell(row.json, "arousal_pearson"), Cell(row.json, "arousal_rmse"));
    }
  }
  if (!o.trainer.tags) return txt;
  txt += fmt::format("\ntags ({}, macro over tags)\n\n", num_tags);
  txt += fmt::format("| {:<10} | {:<15} | {:<15} |\n", "arch", "ROC-AUC",
                     "PR-AUC");
  txt += "|------------|-----------------|-----------------|\n";
  for (const CvRow& row : *rows) {
    txt += fmt::format("| {:<10} | {:<15} | {:<15} |\n", row.name,
                       Cell(row.json, "tag_macro_roc_auc"),
                       Cell(row.json, "tag_macro_pr_auc"));
  }
  return txt;
}

core::Status WriteFolds(const std::string& dir, const TrainingData& data,
                        const std::vector<int>& fold) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  std::string csv = "track_id,group,quadrant,fold\n";
  for (size_t i = 0; i < fold.size(); ++i) {
    const TrainingTrack& t = data.tracks()[i];
    csv += fmt::format("\"{}\",\"{}\",{},{}\n", t.track_id, t.group, t.quadrant,
                       fold[i]);
  }
  return core::WriteFileAtomic(ReportFile(dir, "folds.csv"), csv);
}

core::Status WritePooled(const TrainJobOptions& o, const std::string& dir,
                         const CvPooled& pooled) {
  MER_RETURN_IF_ERROR(core::WriteFileAtomic(ReportFile(dir, "history.csv"),
                                            HistoryCsv(pooled.history)));
  MER_RETURN_IF_ERROR(core::WriteFileAtomic(
      ReportFile(dir, "cv_predictions.csv"), pooled.predictions));
  MER_RETURN_IF_ERROR(
      core::WriteFileAtomic(ReportFile(dir, "confusion.svg"),
                            ConfusionSvg("pooled test-fold confusion",
                                         pooled.confusion, o.label_names)));
  // Learning curves of the first fold of the first row.
  std::vector<EpochMetrics> first;
  for (const auto& [run, m] : pooled.history) {
    if (run == pooled.history.front().first) first.push_back(m);
  }
  return WriteCurves(dir, "mer train: " + pooled.history.front().first, first);
}

// What the final model's manifest says of the cross-validation.
nlohmann::json CvSummary(const TrainJobOptions& o, const TrainingData& data,
                         const CvRow& best) {
  nlohmann::json per_fold = nlohmann::json::array();
  for (double f1 : best.macro_f1) per_fold.push_back(f1);
  nlohmann::json j = {
      {"folds", o.folds},
      {"tracks", data.tracks().size()},
      {"grouped_by", "group (--group-by)"},
      {"split_seed", o.split_seed ? o.split_seed : o.trainer.seed},
      {"arch", best.name},
      {"mean", best.json["mean"]},
      {"std", best.json["std"]},
      {"macro_f1_per_fold", per_fold},
      {"training_data_digest", data.Digest()}};
  if (o.trainer.eval_max_windows > 0) {
    j["validation_max_windows"] = o.trainer.eval_max_windows;
  }
  j["ece_raw"] = best.calibration.ece_raw;
  j["ece"] = best.calibration.ece;
  return j;
}

}  // namespace

core::Result<TrainJobReport> CrossValidate(const TrainJobOptions& o,
                                           const TrainingData& data,
                                           const std::string& dir,
                                           comm::Communicator& comm) {
  std::vector<std::string> groups;
  std::vector<int> labels;
  for (const auto& t : data.tracks()) {
    groups.push_back(t.group);
    labels.push_back(t.quadrant);
  }
  std::vector<int> fold;
  MER_RETURN_IF_ERROR(GroupedFolds(groups, labels, o.folds,
                                   o.split_seed ? o.split_seed : o.trainer.seed,
                                   &fold));
  if (comm.rank() == 0) MER_RETURN_IF_ERROR(WriteFolds(dir, data, fold));
  if (comm.rank() == 0 && !o.fold_models_dir.empty()) {
    std::error_code ec;
    fs::create_directories(o.fold_models_dir, ec);
    if (ec) {
      return core::Status::IOError(o.fold_models_dir,
                                   "cannot create the folder: " + ec.message());
    }
  }
  std::vector<std::string> archs = o.compare;
  if (archs.empty()) archs.push_back("");  // the configured model
  CvPooled pooled;
  pooled.predictions = PredictionsCsvHeader(
      o.trainer.tags ? data.tag_names() : std::vector<std::string>{});
  std::vector<CvRow> rows;
  for (const std::string& arch : archs) {
    MER_ASSIGN_OR_RETURN(CvRow row, RunRow(o, data, fold, arch, comm, &pooled));
    rows.push_back(std::move(row));
  }
  size_t best = 0;
  for (size_t i = 1; i < rows.size(); ++i) {
    if (rows[i].json["mean"]["macro_f1"].get<double>() >
        rows[best].json["mean"]["macro_f1"].get<double>()) {
      best = i;
    }
  }
  TrainJobReport report;
  report.text =
      CvTable(o, data.tracks().size(), best, &rows, data.tag_names().size());
  nlohmann::json rows_json = nlohmann::json::array();
  for (const CvRow& row : rows) rows_json.push_back(row.json);
  report.json["cv"] = {{"folds", o.folds},
                       {"tracks", data.tracks().size()},
                       {"rows", rows_json},
                       {"best", rows[best].name},
                       {"eval_max_windows", o.trainer.eval_max_windows},
                       {"pooled_confusion", pooled.confusion}};
  if (!data.lexicon().is_null()) report.json["lexicon"] = data.lexicon();
  if (comm.rank() == 0) MER_RETURN_IF_ERROR(WritePooled(o, dir, pooled));
  if (!o.out.empty()) {  // a final model on every track
    TrainJobOptions final_o = o;
    final_o.folds = 0;
    final_o.compare.clear();
    final_o.val_fraction = 0;
    MER_ASSIGN_OR_RETURN(
        final_o.trainer,
        ArchOptions(o, o.compare.empty() ? "" : rows[best].name));
    final_o.run.label = "final";
    nn::BundleManifest carried;
    carried.metrics["cross_validation"] = CvSummary(o, data, rows[best]);
    carried.calibration = rows[best].calibration.calibration;
    MER_ASSIGN_OR_RETURN(
        TrainJobReport fr,
        SingleRun(final_o, data, dir + "/final", comm, &carried));
    report.json["final"] = fr.json;
    report.text += "\n" + fr.text;
  }
  if (comm.rank() == 0) {
    MER_RETURN_IF_ERROR(core::WriteFileAtomic(ReportFile(dir, "report.json"),
                                              report.json.dump(1) + "\n"));
    report.text += "reports: " + dir + "\n";
  }
  return report;
}

}  // namespace mer::worker
