// ModelLoss: the training objective of an emotion model (DESIGN.md §5):
//   quadrant: cross-entropy (optional class weights, label smoothing) over
//             samples whose quadrant is known;
//   va:       mean squared error over samples whose V-A is known; a sample
//             with only a quadrant label gets the quadrant's signs times
//             `va_from_quadrant` as its V-A target (default +-0.5: the centre
//             of the quadrant's square in [-1, 1]^2; happy (+,+), tense (-,+),
//             sad (-,-), calm (+,-));
//   tags:     binary cross-entropy with logits and per-tag positive weights.
// total = quadrant_weight * quadrant + va_weight * va + tag_weight * tags.
// A term with no labelled sample in the batch is 0 (and adds no gradient).
//
// Thread-safety: pure function.
#ifndef MER_COMMON_NN_MODEL_LOSS_H_
#define MER_COMMON_NN_MODEL_LOSS_H_

#include <vector>

#include "common/core/status.h"
#include "common/nn/emotion_model.h"

namespace mer::nn {

struct LossTargets {
  torch::Tensor quadrant;  // [B] int64, -1 = unknown; undefined: none
  torch::Tensor va;        // [B, 2] float; undefined: none
  torch::Tensor va_mask;   // [B] bool, true where va is known; undefined
                           // with `va` defined: all known
  torch::Tensor tags;      // [B, num_tags] float 0/1; undefined: none
};

struct LossOptions {
  float quadrant_weight = 1.0f;  // Default: 1.
  float va_weight = 1.0f;        // Default: 1.
  float tag_weight = 1.0f;       // Default: 1.
  // Per-class weights of the cross-entropy (num_quadrants of them, > 0).
  // Empty: uniform. Default: empty.
  std::vector<float> class_weights;
  // Label smoothing of the cross-entropy, in [0, 1). Default: 0.
  float label_smoothing = 0.0f;
  // Positive-class weight per tag (> 0). Empty: 1. Default: empty.
  std::vector<float> tag_pos_weight;
  // Magnitude of the V-A target derived from a quadrant label; 0 disables
  // (quadrant-only samples then add nothing to the V-A term). Only used
  // with 4 quadrant classes. Default: 0.5.
  float va_from_quadrant = 0.5f;

  core::Status Validate() const;
};

struct LossTerms {
  torch::Tensor total;     // scalar, differentiable
  torch::Tensor quadrant;  // scalar
  torch::Tensor va;        // scalar
  torch::Tensor tags;      // scalar
};

// Throws c10::Error when shapes disagree (a programming error in the caller).
LossTerms ModelLoss(const ModelOutput& output, const LossTargets& targets,
                    const LossOptions& options);

}  // namespace mer::nn

#endif  // MER_COMMON_NN_MODEL_LOSS_H_
