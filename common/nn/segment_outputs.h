// SegmentOutputs: what a model says about n log-mel segments, as plain
// row-major float buffers (torch-free), made by Predictor::Run and consumed
// by AggregateSegments. Segments of several tracks may share one object; a
// track's segments are a contiguous range of rows.
#ifndef MER_COMMON_NN_SEGMENT_OUTPUTS_H_
#define MER_COMMON_NN_SEGMENT_OUTPUTS_H_

#include <vector>

namespace mer::nn {

struct SegmentOutputs {
  int num_segments = 0;
  int num_classes = 0;  // quadrant classes (4)
  int embedding_dim = 0;
  int num_tags = 0;               // 0 when the model has no tag head
  std::vector<float> probs;       // [num_segments][num_classes], softmax
  std::vector<float> va;          // [num_segments][2]: valence, arousal
  std::vector<float> embeddings;  // [num_segments][embedding_dim]
  std::vector<float> tag_probs;   // [num_segments][num_tags], sigmoid
};

}  // namespace mer::nn

#endif  // MER_COMMON_NN_SEGMENT_OUTPUTS_H_
