// The end of a training run: scoring tracks with the live model, the
// validation figures, Finish (kept weights, the bundle and its record)
// and TrainModel. Trainer::Impl is in trainer_impl.h.
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "common/core/atomic_file.h"
#include "common/nn/bundle_manifest.h"
#include "common/nn/va_calibration.h"
#include "worker/train/bundle_writer.h"
#include "worker/train/model_state.h"
#include "worker/train/trainer.h"
#include "worker/train/trainer_impl.h"

namespace mer::worker {

// The validation figures a bundle's manifest carries.
nlohmann::json Trainer::Impl::ValidationJson(const TrackScores& val) const {
  const Impl& t = *this;
  auto num = [](double v) {
    return std::isnan(v) ? nlohmann::json() : nlohmann::json(v);
  };
  const Classification c = Classify(t.data, val);
  nlohmann::json j = {{"tracks", val.tracks.size()},
                      {"accuracy", num(c.accuracy)},
                      {"macro_f1", num(c.macro_f1)}};
  if (t.options.model.num_tags > 0) {
    const nn::TagReport tr = EvaluateTrackTags(t.data, val);
    j["tag_macro_roc_auc"] = num(tr.macro_roc_auc);
    j["tag_macro_pr_auc"] = num(tr.macro_pr_auc);
  }
  if (t.options.eval_max_windows > 0) {
    j["max_windows_per_track"] = t.options.eval_max_windows;
  }
  return j;
}

// Rank r scores tracks r, r + N, ...; the sums over ranks give every rank
// all of them.
TrackScores Trainer::Impl::Score(const std::vector<int>& tracks) {
  TrackScores s;
  s.tracks = tracks;
  const size_t n = tracks.size();
  s.num_tags = options.model.num_tags;
  s.probs.assign(n * 4, 0.0f);
  s.va.assign(n * 2, 0.0f);
  s.tag_probs.assign(n * s.num_tags, 0.0f);
  for (size_t k = comm.rank(); k < n; k += comm.size()) {
    const TrainingTrack& t = data.tracks()[tracks[k]];
    // A failure here is LibTorch failing on data it trained on: a broken
    // invariant, not a bad track.
    const nn::TrackPrediction p =
        inference->PredictMel(t.mel, data.n_rows(), t.n_frames).value();
    std::copy(p.quadrant_probs.begin(), p.quadrant_probs.end(),
              s.probs.begin() + k * 4);
    s.va[k * 2] = p.valence;
    s.va[k * 2 + 1] = p.arousal;
    std::copy(p.tag_probs.begin(), p.tag_probs.end(),
              s.tag_probs.begin() + k * s.num_tags);
  }
  if (comm.size() > 1 && n > 0) {
    comm.AllreduceSum(s.probs.data(), s.probs.size());
    comm.AllreduceSum(s.va.data(), s.va.size());
    if (!s.tag_probs.empty()) {
      comm.AllreduceSum(s.tag_probs.data(), s.tag_probs.size());
    }
  }
  return s;
}

TrackScores Trainer::Score(const std::vector<int>& tracks) {
  return impl_->Score(tracks);
}

core::Result<TrainOutcome> Trainer::Finish() {
  Impl& t = *impl_;
  TrainOutcome out;
  const std::vector<float> kept =
      t.parts.selector->Kept(t.progress.epoch, &out.kept_epoch);
  if (!kept.empty()) LoadFlatState(t.model, kept);
  out.stopped_early =
      t.parts.selector->ShouldStop() && t.progress.epoch < t.options.epochs;
  out.history = t.progress.history;
  out.train_seconds = t.progress.seconds;
  out.segments_trained = t.progress.segments;
  out.val = t.Score(t.split.val);
  out.test = t.Score(t.split.test);
  if (!t.parts.bundle) return out;
  if (t.epochs_run_here == 0) {
    // Resumed from finished training whose bundle is written already (a
    // resubmitted or requeued job): the bundle stays. Its weights would be
    // the same, but a rewrite gives it a new model id, which indexes record.
    const std::string written = t.WrittenBundle();
    if (!written.empty()) {
      t.Note("training was finished: {} ({}) stays as it is",
             t.parts.bundle->path(), written);
      if (t.comm.rank() == 0) out.model_id = written;
      return out;
    }
  }
  TrainedModelFacts facts;
  facts.settings = t.options.ToJson();
  facts.kept_epoch = out.kept_epoch;
  facts.epochs_run = t.progress.epoch;
  facts.ranks = t.comm.size();
  facts.train_tracks = t.split.train.size();
  if (!t.split.val.empty()) {
    facts.validation = t.ValidationJson(out.val);
    if (t.options.model.quadrant_head == "va") {
      std::vector<int> labels;
      for (int i : out.val.tracks)
        labels.push_back(t.data.tracks()[i].quadrant);
      std::vector<float> v, a;
      for (size_t k = 0; k < out.val.tracks.size(); ++k) {
        v.push_back(out.val.va[2 * k]);
        a.push_back(out.val.va[2 * k + 1]);
      }
      facts.calibration = nn::FitVaCalibration(
          v, a, labels,
          "the " + std::to_string(labels.size()) + " validation tracks");
    }
  }
  MER_ASSIGN_OR_RETURN(out.model_id,
                       t.parts.bundle->Write(t.model, t.data, facts));
  t.RecordBundle(out.model_id);
  return out;
}

// DIR/bundle.json beside the checkpoint names the model id of the bundle
// written from it.
std::string Trainer::Impl::WrittenBundle() {
  std::string id;
  if (parts.checkpoints && comm.rank() == 0) {
    std::ifstream in(std::filesystem::path(run.checkpoint_dir) / "bundle.json");
    const nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
    const std::string recorded =
        j.is_object() ? j.value("model_id", std::string()) : std::string();
    auto manifest = nn::ReadBundleManifest(parts.bundle->path());
    if (!recorded.empty() && manifest.ok() && manifest->model_id == recorded) {
      id = recorded;
    }
  }
  if (comm.size() > 1) comm.BroadcastBytes(0, &id);
  return id;
}

void Trainer::Impl::RecordBundle(const std::string& model_id) {
  if (!parts.checkpoints || comm.rank() != 0) return;
  const core::Status s = core::WriteFileAtomic(
      (std::filesystem::path(run.checkpoint_dir) / "bundle.json").string(),
      nlohmann::json{{"model_id", model_id},
                     {"bundle", parts.bundle->path()},
                     {"epochs", progress.epoch}}
              .dump() +
          "\n");
  if (!s.ok()) {
    // Only a later --resume of the finished run loses: it rewrites the
    // bundle.
    spdlog::warn("{}", s.ToString());
  }
}

int Trainer::epochs_done() const { return impl_->progress.epoch; }

const std::vector<EpochMetrics>& Trainer::history() const {
  return impl_->progress.history;
}

std::vector<float> Trainer::FlatState() const {
  return FlattenState(impl_->model);
}

core::Result<TrainOutcome> TrainModel(const TrainingData& data,
                                      TrainSplit split,
                                      const TrainerOptions& options,
                                      const TrainerRunOptions& run,
                                      comm::Communicator& comm,
                                      const BundleRequest* bundle) {
  MER_ASSIGN_OR_RETURN(
      std::unique_ptr<Trainer> trainer,
      Trainer::Create(data, std::move(split), options, run, comm, bundle));
  MER_RETURN_IF_ERROR(trainer->Run());
  return trainer->Finish();
}

}  // namespace mer::worker
