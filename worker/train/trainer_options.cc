#include "worker/train/trainer_options.h"

#include <cmath>

#include "worker/train/training_data.h"

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
  if (eval_max_windows < 0) return bad("--eval-windows must be >= 0");
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
          {"eval_max_windows", eval_max_windows},
          {"sync_batchnorm", sync_batchnorm},
          {"seed", seed}};
}

double TrainerOptions::LearningRate(int epoch) const {
  double f = 1.0;
  if (lr_schedule == "cosine") {
    const double x = epochs > 1 ? static_cast<double>(epoch) / (epochs - 1) : 0;
    f = 0.05 + 0.95 * 0.5 * (1 + std::cos(M_PI * x));
  } else if (lr_schedule == "step") {
    if (epoch >= 0.6 * epochs) f *= 0.3;
    if (epoch >= 0.85 * epochs) f *= 0.3;
  }
  if (epoch < warmup_epochs) {
    f *= static_cast<double>(epoch + 1) / (warmup_epochs + 1);
  }
  return learning_rate * f;
}

core::Result<TrainerOptions> TrainerOptions::ForData(
    const TrainingData& data, const std::vector<int>& train) const {
  TrainerOptions o = *this;
  o.model.n_mels = data.n_mels();
  if (o.model.descriptor_dim > 0) {
    if (data.descriptor_rows() == 0) {
      return core::Status::InvalidArgument(
          "--descriptor-dim",
          "the data has no descriptor rows (extract the shards with `mer "
          "extract --descriptors`, or train from the labels CSV with "
          "--descriptors)");
    }
    o.model.descriptor_rows = data.descriptor_rows();
  } else {
    o.model.descriptor_rows = 0;
  }
  if (o.tags && !data.has_tags()) {
    return core::Status::InvalidArgument(
        "--tags",
        "the data has no tag labels (give the labels CSV a 'tags' column of "
        "';'-separated names; re-extract shards from it)");
  }
  if (o.tags && data.tag_names().empty()) {
    return core::Status::InvalidArgument("--tags",
                                         "no track of the data carries a tag");
  }
  o.model.num_tags = o.tags ? static_cast<int>(data.tag_names().size()) : 0;
  o.model = o.model.Resolved();
  MER_RETURN_IF_ERROR(o.Validate());
  if (train.empty()) return core::Status::InvalidArgument("no training tracks");
  bool labelled = o.tags;
  for (int i : train) {
    const TrainingTrack& t = data.tracks()[i];
    labelled = labelled || t.quadrant >= 0 || t.has_va;
  }
  if (!labelled) {
    return core::Status::InvalidArgument(
        "no training track has a quadrant or valence/arousal label (tracks "
        "with tags alone train with --tags)");
  }
  return o;
}

core::Status TrainerRunOptions::Validate() const {
  if (threads < 0)
    return core::Status::InvalidArgument("--threads must be >= 0");
  if (device != "cpu" && device != "cuda") {
    return core::Status::InvalidArgument("--device '" + device +
                                         "': expected cpu or cuda");
  }
  if (resume && checkpoint_dir.empty()) {
    return core::Status::InvalidArgument("--resume needs a checkpoint folder");
  }
  return core::Status::Ok();
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

EpochMetrics EpochMetrics::FromJson(const nlohmann::json& j) {
  auto num = [&](const char* k) {
    return !j.contains(k) || j[k].is_null()
               ? std::numeric_limits<double>::quiet_NaN()
               : j[k].get<double>();
  };
  EpochMetrics m;
  m.epoch = j.at("epoch").get<int>();
  m.lr = j.at("lr").get<double>();
  m.train_loss = j.at("train_loss").get<double>();
  m.val_loss = num("val_loss");
  m.val_accuracy = num("val_accuracy");
  m.val_macro_f1 = num("val_macro_f1");
  m.val_tag_roc_auc = num("val_tag_roc_auc");
  m.val_tag_pr_auc = num("val_tag_pr_auc");
  m.seconds = j.at("seconds").get<double>();
  m.samples = j.at("samples").get<int64_t>();
  return m;
}

}  // namespace mer::worker
