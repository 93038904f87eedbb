#include "worker/train/bundle_writer.h"

#include <torch/torch.h>

#include "common/nn/model_bundle.h"

namespace mer::worker {

BundleWriter::BundleWriter(BundleRequest request, comm::Communicator* comm)
    : request_(std::move(request)), comm_(comm) {}

core::Result<std::string> BundleWriter::Write(nn::EmotionModel model,
                                              const TrainingData& data,
                                              const TrainedModelFacts& facts) {
  std::string model_id, message;
  int64_t ok = 1;
  if (comm_->rank() == 0) {
    model->to(torch::kCPU);
    nn::BundleManifest manifest = request_.manifest;
    manifest.front_end = data.front_end();
    manifest.front_end_digest = data.front_end_digest();
    if (model->config().descriptor_rows > 0) {
      manifest.descriptors = data.descriptors();
    }
    manifest.training_data_digest = data.Digest();
    if (model->config().num_tags > 0) manifest.tag_names = data.tag_names();
    manifest.extra["training"] = facts.settings;
    manifest.extra["kept_epoch"] = facts.kept_epoch;
    manifest.extra["ranks"] = facts.ranks;
    manifest.extra["epochs_run"] = facts.epochs_run;
    manifest.extra["train_tracks"] = facts.train_tracks;
    if (!facts.validation.is_null()) {
      manifest.metrics["validation"] = facts.validation;
    }
    if (!manifest.calibration.fitted && facts.calibration) {
      manifest.calibration = *facts.calibration;
    }
    core::Status s = nn::SaveBundle(request_.path, model, manifest, &model_id);
    if (!s.ok()) {
      ok = 0;
      message = s.ToString();
    }
  }
  if (comm_->size() > 1) comm_->AllreduceSum(&ok, 1);
  if (ok != comm_->size()) {
    return core::Status::IOError(
        request_.path,
        message.empty() ? "rank 0 could not write the bundle" : message);
  }
  return model_id;
}

}  // namespace mer::worker
