// The two shapes of a `mer train` job (worker/train/train_job.h), internal to
// mer_train: one run with a grouped validation split, and grouped k-fold
// cross-validation of one or several architectures. Collective.
#ifndef MER_WORKER_TRAIN_TRAIN_RUNS_H_
#define MER_WORKER_TRAIN_TRAIN_RUNS_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/comm/communicator.h"
#include "common/core/result.h"
#include "common/nn/bundle_manifest.h"
#include "worker/train/train_job.h"
#include "worker/train/training_data.h"

namespace mer::worker {

// Splits `pool` (indices into data.tracks()) into train and validation with
// about `fraction` of the groups in validation; fraction 0 keeps them all
// for training.
core::Status SplitValidation(const TrainingData& data,
                             const std::vector<int>& pool, double fraction,
                             uint64_t seed, std::vector<int>* train,
                             std::vector<int>* val);

// One run on every track (less the validation groups), writing o.out and
// the reports into `dir`. `carried` (optional): metrics and a calibration
// from cross-validation that the bundle's manifest carries.
core::Result<TrainJobReport> SingleRun(
    const TrainJobOptions& o, const TrainingData& data, const std::string& dir,
    comm::Communicator& comm, const nn::BundleManifest* carried = nullptr);

// o.folds-fold cross-validation (every architecture of o.compare on the
// same folds), the reports in `dir`, then, with o.out, a final model on
// every track that carries the figures of the best row.
core::Result<TrainJobReport> CrossValidate(const TrainJobOptions& o,
                                           const TrainingData& data,
                                           const std::string& dir,
                                           comm::Communicator& comm);

}  // namespace mer::worker

#endif  // MER_WORKER_TRAIN_TRAIN_RUNS_H_
