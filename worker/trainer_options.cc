// TrainerOptions and EpochMetrics: validation and JSON; tag metrics of
// TrackScores (torch-free half of worker/trainer.h; the training loop is in
// trainer.cc).
#include "common/core/check.h"
#include "worker/trainer.h"

namespace mer::worker {

core::Status TrainerOptions::Validate() const {
  auto bad = [](const std::string& m) {
    return core::Status::InvalidArgument(m);
  };
  if (epochs < 1) return bad("--epochs must be >= 1");
  if (batch_size < 1) return bad("--batch-size must be >= 1");
  if (!(learning_rate > 0)) return bad("--lr must be > 0");
  if (weight_decay < 0) return bad("--weight-decay must be >= 0");
  if (lr_schedule != "constant" && lr_schedule != "cosine" &&
      lr_schedule != "step") {
    return bad("--lr-schedule '" + lr_schedule +
               "': expected constant, cosine or step");
  }
  if (warmup_epochs < 0) return bad("--warmup-epochs must be >= 0");
  if (crops_per_track < 1) return bad("--crops-per-track must be >= 1");
  if (label_smoothing < 0 || label_smoothing >= 1)
    return bad("--label-smoothing must be in [0, 1)");
  if (va_weight < 0) return bad("--va-weight must be >= 0");
  if (!(tag_weight >= 0)) return bad("--tag-weight must be >= 0");
  if (patience < 0) return bad("--patience must be >= 0");
  if (average_last < 0) return bad("--average-last must be >= 0");
  if (eval_hop_frames < 0 || eval_max_windows < 0)
    return bad("eval windows must be >= 0");
  if (device != "cpu" && device != "cuda")
    return bad("--device '" + device + "': expected cpu or cuda");
  if (resume && checkpoint_dir.empty())
    return bad("--resume needs a checkpoint folder");
  if (stop_after < 0) return bad("stop_after must be >= 0");
  MER_RETURN_IF_ERROR(augment.Validate());
  return model.Resolved().Validate();
}

nlohmann::json TrainerOptions::ToJson() const {
  return {{"model", model.Resolved().ToJson()},
          {"epochs", epochs},
          {"batch_size", batch_size},
          {"learning_rate", learning_rate},
          {"weight_decay", weight_decay},
          {"lr_schedule", lr_schedule},
          {"warmup_epochs", warmup_epochs},
          {"crops_per_track", crops_per_track},
          {"class_weights", class_weights},
          {"label_smoothing", label_smoothing},
          {"va_weight", va_weight},
          {"tags", tags},
          {"tag_weight", tag_weight},
          {"augment",
           {{"enabled", augment.enabled},
            {"gain_db", augment.gain_db},
            {"freq_masks", augment.freq_masks},
            {"freq_mask_width", augment.freq_mask_width},
            {"time_masks", augment.time_masks},
            {"time_mask_width", augment.time_mask_width}}},
          {"patience", patience},
          {"average_last", average_last},
          {"eval_hop_frames", eval_hop_frames},
          {"eval_max_windows", eval_max_windows},
          {"seed", seed},
          {"threads", threads},
          {"device", device},
          {"local_rank", local_rank},
          {"checkpoint_dir", checkpoint_dir},
          {"resume", resume},
          {"progress", progress},
          {"label", label},
          {"stop_after", stop_after},
          {"return_state", return_state}};
}

nlohmann::json EpochMetrics::ToJson() const {
  auto num = [](double v) {
    return std::isnan(v) ? nlohmann::json() : nlohmann::json(v);
  };
  return {{"epoch", epoch},
          {"lr", lr},
          {"train_loss", train_loss},
          {"val_loss", num(val_loss)},
          {"val_accuracy", num(val_accuracy)},
          {"val_macro_f1", num(val_macro_f1)},
          {"val_tag_roc_auc", num(val_tag_roc_auc)},
          {"val_tag_pr_auc", num(val_tag_pr_auc)},
          {"seconds", seconds},
          {"samples", samples}};
}

nn::TagReport EvaluateTrackTags(const TrainingData& data,
                                const TrackScores& s) {
  const int k = s.num_tags;
  MER_CHECK(k > 0 && static_cast<size_t>(k) == data.tag_names().size());
  std::vector<int> labels;
  std::vector<double> scores(s.tag_probs.begin(), s.tag_probs.end());
  for (int i : s.tracks) {
    const std::vector<uint8_t>& tags = data.tracks()[i].tags;
    labels.insert(labels.end(), tags.begin(), tags.end());
  }
  return nn::EvaluateTags(labels, scores, k);
}

std::vector<int64_t> TagPositives(const TrainingData& data,
                                  const std::vector<int>& tracks) {
  std::vector<int64_t> n(data.tag_names().size(), 0);
  for (int i : tracks) {
    const std::vector<uint8_t>& tags = data.tracks()[i].tags;
    for (size_t t = 0; t < tags.size() && t < n.size(); ++t) n[t] += tags[t];
  }
  return n;
}

}  // namespace mer::worker
