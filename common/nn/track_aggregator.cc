#include "common/nn/track_aggregator.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace mer::nn {

core::Result<TrackPrediction> AggregateSegments(
    const SegmentOutputs& outputs, int first, int count,
    const std::vector<float>& start_seconds) {
  if (count <= 0 || first < 0 || first + count > outputs.num_segments) {
    return core::Status::InvalidArgument(
        "aggregate segments",
        "rows [" + std::to_string(first) + ", " +
            std::to_string(first + count) + ") outside the " +
            std::to_string(outputs.num_segments) + " segments");
  }
  if (static_cast<int>(start_seconds.size()) != count) {
    return core::Status::InvalidArgument(
        "aggregate segments", std::to_string(start_seconds.size()) +
                                  " start times for " + std::to_string(count) +
                                  " segments");
  }
  const int k = outputs.num_classes, e = outputs.embedding_dim,
            t = outputs.num_tags;
  TrackPrediction p;
  p.num_segments = count;
  p.quadrant_probs.assign(k, 0.0f);
  p.embedding.assign(e, 0.0f);
  p.tag_probs.assign(t, 0.0f);
  double v_sum = 0, a_sum = 0;
  for (int s = first; s < first + count; ++s) {
    for (int c = 0; c < k; ++c) p.quadrant_probs[c] += outputs.probs[s * k + c];
    for (int d = 0; d < e; ++d) p.embedding[d] += outputs.embeddings[s * e + d];
    for (int d = 0; d < t; ++d) p.tag_probs[d] += outputs.tag_probs[s * t + d];
    const float v = outputs.va[s * 2], a = outputs.va[s * 2 + 1];
    v_sum += v;
    a_sum += a;
    p.timeline.push_back({start_seconds[s - first], v, a});
  }
  for (float& x : p.quadrant_probs) x /= count;
  for (float& x : p.tag_probs) x /= count;
  p.valence = static_cast<float>(v_sum / count);
  p.arousal = static_cast<float>(a_sum / count);
  double v_ss = 0, a_ss = 0;
  for (const TimelinePoint& pt : p.timeline) {
    v_ss += (pt.valence - p.valence) * (pt.valence - p.valence);
    a_ss += (pt.arousal - p.arousal) * (pt.arousal - p.arousal);
  }
  p.valence_std = static_cast<float>(std::sqrt(v_ss / count));
  p.arousal_std = static_cast<float>(std::sqrt(a_ss / count));
  if (k > 0) {
    p.quadrant = static_cast<int>(
        std::max_element(p.quadrant_probs.begin(), p.quadrant_probs.end()) -
        p.quadrant_probs.begin());
  }
  // The mean's direction is all that matters for cosine similarity.
  double norm = 0;
  for (float x : p.embedding) norm += static_cast<double>(x) * x;
  norm = std::sqrt(norm);
  if (norm > 0) {
    for (float& x : p.embedding) x = static_cast<float>(x / norm);
  }
  return p;
}

}  // namespace mer::nn
