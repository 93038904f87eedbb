// ComputeFeaturesInParallel: a rank's decode loop over many tracks, shared
// by `mer extract` (worker/extract_job.h) and training's on-the-fly
// extraction (TrainingData::FromLabels). `threads` threads, each with its
// own FeatureExtractor (FFTW plans are per thread), take tracks in order and
// hand every result, success or failure, to `sink` in the order of `paths`
// whatever order they finish in (so a shard's track order, and the digest
// of the data, never depend on timing); a progress line counts them. A
// thread never runs more than 4 x threads tracks ahead of the sink, which
// bounds the results held back.
//
//   ComputeFeaturesInParallel(paths, options, comm.size(),
//       [&](size_t i, core::Result<TrackFeatures> f) { ... });
//
// With `on_counts` the calling thread only watches: it hands the counts so
// far to on_counts about twice a second and once at the end, and that
// callback reports progress (rank 0's line over every rank's tracks, in
// worker/extract_job.cc) instead of the function's own line.
//
// Thread-safety: `sink` is called under one mutex, so it needs no locking
// of its own; it must not throw. `on_counts` runs on the calling thread
// only (it may make MPI calls). Returns once every track went through the
// sink, index 0, 1, 2, ... in turn.
#ifndef MER_WORKER_PARALLEL_FEATURES_H_
#define MER_WORKER_PARALLEL_FEATURES_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/core/result.h"
#include "common/dsp/descriptor_params.h"
#include "common/dsp/front_end_params.h"
#include "worker/track_features.h"

namespace mer::worker {

// A rank's tracks so far.
struct FeatureCounts {
  int64_t done = 0;
  int64_t failed = 0;
  double audio_seconds = 0;
};

struct ParallelFeatureOptions {
  dsp::FrontEndParams front_end;
  // Descriptor rows after the log-mel (dsp::FeatureParams); none by default.
  std::optional<dsp::DescriptorParams> descriptors;
  TrackFeatureOptions track;
  // Decode threads; 0: the machine's cores shared among `ranks_on_node`.
  // Default: 0.
  int threads = 0;
  bool progress = true;            // a progress line on stderr
  std::string label = "features";  // its label
  // See above; when set, `progress` and `label` are not used.
  std::function<void(const FeatureCounts& counts, bool final)> on_counts;
};

using FeatureSink =
    std::function<void(size_t index, core::Result<TrackFeatures> features)>;

void ComputeFeaturesInParallel(const std::vector<std::string>& paths,
                               const ParallelFeatureOptions& options,
                               int ranks_on_node, const FeatureSink& sink);

}  // namespace mer::worker

#endif  // MER_WORKER_PARALLEL_FEATURES_H_
