#include "worker/train/train_job.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cmath>
#include <filesystem>
#include <numeric>

#include "common/core/atomic_file.h"
#include "worker/train/bundle_writer.h"
#include "worker/train/svg_plot.h"
#include "worker/train/train_reports.h"
#include "worker/train/train_runs.h"
#include "worker/train/trainer.h"

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
  if (!fold_models_dir.empty() && folds == 0)
    return bad("--fold-models needs --folds K");
  for (const std::string& a : compare) {
    MER_RETURN_IF_ERROR(nn::ModelConfig::Named(a).status());
  }
  if (run.resume && folds > 0)
    return bad("--resume applies to a single run, not to --folds");
  MER_RETURN_IF_ERROR(run.Validate());
  TrainerOptions t = trainer;
  // Both taken from the data later.
  if (t.model.n_frames == 0) t.model.n_frames = 256;
  t.model.descriptor_rows = t.model.descriptor_dim > 0 ? 1 : 0;
  return t.Validate();
}

namespace {

std::vector<int> Labels(const TrainingData& data, const std::vector<int>& idx) {
  std::vector<int> l;
  for (int i : idx) l.push_back(data.tracks()[i].quadrant);
  return l;
}

std::string DefaultMetricsDir(const TrainJobOptions& o) {
  if (!o.metrics_dir.empty()) return o.metrics_dir;
  if (o.out.empty()) return "mer-cv.metrics";
  fs::path p(o.out);
  p.replace_extension("");
  return p.string() + ".metrics";
}

// The summary of a single run: JSON and the lines a person reads.
TrainJobReport RunReport(const TrainJobOptions& o, const TrainingData& data,
                         const TrainSplit& split, const TrainOutcome& out,
                         nn::ClassificationReport* val_report) {
  TrainJobReport report;
  nlohmann::json& j = report.json;
  j["model"] = o.out;
  j["model_id"] = out.model_id;
  j["train_tracks"] = split.train.size();
  j["val_tracks"] = split.val.size();
  j["epochs_run"] = out.history.size();
  j["kept_epoch"] = out.kept_epoch;
  j["stopped_early"] = out.stopped_early;
  j["train_seconds"] = out.train_seconds;
  j["segments_per_second"] =
      out.train_seconds > 0 ? out.segments_trained / out.train_seconds : 0.0;
  if (!data.lexicon().is_null()) j["lexicon"] = data.lexicon();
  nlohmann::json hist = nlohmann::json::array();
  for (const auto& m : out.history) hist.push_back(m.ToJson());
  j["history"] = hist;
  report.text =
      fmt::format("train: model {} ({}) after {} epochs (kept: {}), {:.0f} s\n",
                  o.out, out.model_id, out.history.size(),
                  out.kept_epoch ? fmt::format("epoch {}", out.kept_epoch)
                                 : std::string("weight average"),
                  out.train_seconds);
  if (split.val.empty()) return report;
  nn::TagReport tr;
  j["validation"] = ScoreMetrics(data, out.val, o.label_names, val_report, &tr);
  report.text +=
      fmt::format("validation ({} tracks): accuracy {:.3f}, macro-F1 {:.3f}\n",
                  split.val.size(), val_report->accuracy, val_report->macro_f1);
  if (out.val.num_tags > 0) {
    report.text += fmt::format(
        "validation tags ({}): macro ROC-AUC {:.3f}, macro PR-AUC {:.3f}\n",
        out.val.num_tags, tr.macro_roc_auc, tr.macro_pr_auc);
  }
  return report;
}

// Rank 0 writes history, curves, confusion and report.json into `dir`.
core::Status WriteRunReports(const TrainJobOptions& o, const std::string& dir,
                             const TrainOutcome& out, bool validated,
                             const nn::ClassificationReport& val_report,
                             TrainJobReport* report) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  HistoryRows rows;
  for (const auto& m : out.history) rows.emplace_back("train", m);
  MER_RETURN_IF_ERROR(
      core::WriteFileAtomic(ReportFile(dir, "history.csv"), HistoryCsv(rows)));
  MER_RETURN_IF_ERROR(core::WriteFileAtomic(
      ReportFile(dir, "history.json"), report->json["history"].dump(1) + "\n"));
  MER_RETURN_IF_ERROR(
      WriteCurves(dir, "mer train: " + o.trainer.model.arch, out.history));
  if (validated) {
    MER_RETURN_IF_ERROR(core::WriteFileAtomic(
        ReportFile(dir, "confusion.svg"),
        ConfusionSvg("validation confusion", val_report.confusion,
                     o.label_names)));
  }
  report->json["metrics_dir"] = dir;
  MER_RETURN_IF_ERROR(core::WriteFileAtomic(ReportFile(dir, "report.json"),
                                            report->json.dump(1) + "\n"));
  report->text += "reports: " + dir + "\n";
  return core::Status::Ok();
}

}  // namespace

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

core::Result<TrainJobReport> SingleRun(const TrainJobOptions& o,
                                       const TrainingData& data,
                                       const std::string& dir,
                                       comm::Communicator& comm,
                                       const nn::BundleManifest* carried) {
  std::vector<int> all(data.tracks().size());
  std::iota(all.begin(), all.end(), 0);
  TrainSplit split;
  const uint64_t seed = o.split_seed ? o.split_seed : o.trainer.seed;
  MER_RETURN_IF_ERROR(SplitValidation(data, all, o.val_fraction, seed,
                                      &split.train, &split.val));
  if (comm.rank() == 0) {
    spdlog::info("train: {} tracks for training, {} for validation",
                 split.train.size(), split.val.size());
  }
  BundleRequest bundle;
  bundle.path = o.out;
  if (carried) bundle.manifest = *carried;
  bundle.manifest.label_names = o.label_names;
  MER_ASSIGN_OR_RETURN(TrainOutcome out, TrainModel(data, split, o.trainer,
                                                    o.run, comm, &bundle));
  nn::ClassificationReport val_report;
  TrainJobReport report = RunReport(o, data, split, out, &val_report);
  if (comm.rank() == 0) {
    MER_RETURN_IF_ERROR(
        WriteRunReports(o, dir, out, !split.val.empty(), val_report, &report));
  }
  return report;
}

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
