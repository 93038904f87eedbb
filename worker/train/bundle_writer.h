// BundleWriter: rank 0 writes a trained model as a bundle
// (common/nn/model_bundle.h) whose manifest says what it was trained on and
// how: the front end and training data digests, the tag names, the training
// settings (TrainerOptions, nothing about how the run went), the kept epoch,
// and the validation (and, from `mer train --folds`, cross-validation)
// metrics. Every rank learns whether the write worked. LibTorch; included by
// the trainer's files.
#ifndef MER_WORKER_TRAIN_BUNDLE_WRITER_H_
#define MER_WORKER_TRAIN_BUNDLE_WRITER_H_

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/comm/communicator.h"
#include "common/core/result.h"
#include "common/nn/bundle_manifest.h"
#include "common/nn/emotion_model.h"
#include "worker/train/training_data.h"

namespace mer::worker {

struct BundleRequest {
  std::string path;             // where rank 0 writes the bundle
  nn::BundleManifest manifest;  // labels and metrics to carry; the writer
                                // fills config, front end, digests
};

// What the trainer knows of its run when it writes the bundle.
struct TrainedModelFacts {
  nlohmann::json settings;  // TrainerOptions::ToJson()
  int kept_epoch = 0;       // 0: weight average
  int epochs_run = 0;
  int ranks = 1;
  size_t train_tracks = 0;
  nlohmann::json validation;  // metrics of the kept model; null: none
  // Fitted on the validation tracks; used when the request carries no
  // fitted calibration (cross-validation's is better: more tracks).
  std::optional<nn::VaCalibration> calibration;
};

class BundleWriter {
 public:
  // `comm` is not owned.
  BundleWriter(BundleRequest request, comm::Communicator* comm);

  // Collective. The model is moved to the CPU on rank 0. Returns the
  // bundle's model id on rank 0 (empty elsewhere).
  core::Result<std::string> Write(nn::EmotionModel model,
                                  const TrainingData& data,
                                  const TrainedModelFacts& facts);

  const std::string& path() const { return request_.path; }

 private:
  BundleRequest request_;
  comm::Communicator* comm_;  // not owned
};

}  // namespace mer::worker

#endif  // MER_WORKER_TRAIN_BUNDLE_WRITER_H_
