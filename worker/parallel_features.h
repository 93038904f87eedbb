// ComputeFeaturesInParallel: a rank's decode loop over many tracks, shared
// by `mer extract` (worker/extract_job.h) and training's on-the-fly
// extraction (TrainingData::FromLabels). `threads` threads, each with its
// own LogMelExtractor (FFTW plans are per thread), take tracks in order and
// hand every result, success or failure, to `sink` in the order of `paths`
// whatever order they finish in (so a shard's track order, and the digest
// of the data, never depend on timing); a progress line counts them. A
// thread never runs more than 4 x threads tracks ahead of the sink, which
// bounds the results held back.
//
//   ComputeFeaturesInParallel(paths, options, comm.size(),
//       [&](size_t i, core::Result<TrackFeatures> f) { ... });
//
// Thread-safety: `sink` is called under one mutex, so it needs no locking
// of its own; it must not throw. Returns once every track went through it,
// index 0, 1, 2, ... in turn.
#ifndef MER_WORKER_PARALLEL_FEATURES_H_
#define MER_WORKER_PARALLEL_FEATURES_H_

#include <functional>
#include <string>
#include <vector>

#include "common/core/result.h"
#include "common/dsp/front_end_params.h"
#include "worker/track_features.h"

namespace mer::worker {

struct ParallelFeatureOptions {
  dsp::FrontEndParams front_end;
  TrackFeatureOptions track;
  // Decode threads; 0: the machine's cores shared among `ranks_on_node`.
  // Default: 0.
  int threads = 0;
  bool progress = true;            // a progress line on stderr
  std::string label = "features";  // its label
};

using FeatureSink =
    std::function<void(size_t index, core::Result<TrackFeatures> features)>;

void ComputeFeaturesInParallel(const std::vector<std::string>& paths,
                               const ParallelFeatureOptions& options,
                               int ranks_on_node, const FeatureSink& sink);

}  // namespace mer::worker

#endif  // MER_WORKER_PARALLEL_FEATURES_H_
