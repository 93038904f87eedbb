// AggregateSegments: a track's emotion from its segments' (DESIGN.md §5).
// Torch-free, so the worker pipeline and tests use it without LibTorch.
//
//   quadrant_probs = mean of the segments' probabilities; quadrant = argmax
//   valence/arousal = mean of the segments' V-A; *_std = their population
//                     standard deviation (the spread within the track; 0 for
//                     a single segment)
//   embedding      = mean of the segment embeddings, L2-normalised (a zero
//                    mean stays zero)
//   timeline       = (start seconds, V, A) per segment, in segment order
//
// Thread-safety: pure function.
#ifndef MER_COMMON_NN_TRACK_AGGREGATOR_H_
#define MER_COMMON_NN_TRACK_AGGREGATOR_H_

#include <vector>

#include "common/core/result.h"
#include "common/nn/segment_outputs.h"

namespace mer::nn {

struct TimelinePoint {
  float start_seconds = 0;
  float valence = 0;
  float arousal = 0;
};

struct TrackPrediction {
  int num_segments = 0;
  std::vector<float> quadrant_probs;  // [num_classes]
  int quadrant = 0;                   // argmax of quadrant_probs
  float valence = 0, arousal = 0;
  float valence_std = 0, arousal_std = 0;
  std::vector<float> embedding;  // [embedding_dim], unit L2 norm
  std::vector<float> tag_probs;  // [num_tags], mean over segments
  std::vector<TimelinePoint> timeline;
};

// Rows [first, first + count) of `outputs` are one track's segments;
// `start_seconds` holds `count` segment start times. Fails on an empty or
// out-of-range row range or a wrong number of start times.
core::Result<TrackPrediction> AggregateSegments(
    const SegmentOutputs& outputs, int first, int count,
    const std::vector<float>& start_seconds);

}  // namespace mer::nn

#endif  // MER_COMMON_NN_TRACK_AGGREGATOR_H_
