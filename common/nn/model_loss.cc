#include "common/nn/model_loss.h"

#include <torch/torch.h>

#include <string>

namespace mer::nn {

namespace F = torch::nn::functional;

core::Status LossOptions::Validate() const {
  auto bad = [](const std::string& what, const std::string& why) {
    return core::Status::InvalidArgument("loss options: " + what, why);
  };
  if (quadrant_weight < 0 || va_weight < 0 || tag_weight < 0) {
    return bad("weights", "must be >= 0");
  }
  for (float w : class_weights) {
    if (!(w > 0)) return bad("class_weights", "every weight must be > 0");
  }
  for (float w : tag_pos_weight) {
    if (!(w > 0)) return bad("tag_pos_weight", "every weight must be > 0");
  }
  if (label_smoothing < 0 || label_smoothing >= 1) {
    return bad("label_smoothing", "must be in [0, 1)");
  }
  if (va_from_quadrant < 0 || va_from_quadrant > 1) {
    return bad("va_from_quadrant", "must be in [0, 1]");
  }
  return core::Status::Ok();
}

LossTerms ModelLoss(const ModelOutput& output, const LossTargets& targets,
                    const LossOptions& options) {
  const torch::Tensor& logits = output.quadrant_logits;
  const auto float_opts = logits.options();
  const int64_t batch = logits.size(0);
  LossTerms terms;
  terms.quadrant = torch::zeros({}, float_opts);
  terms.va = torch::zeros({}, float_opts);
  terms.tags = torch::zeros({}, float_opts);

  torch::Tensor quadrant =
      targets.quadrant.defined()
          ? targets.quadrant.to(logits.device(), torch::kLong)
          : torch::Tensor();
  if (quadrant.defined()) {
    TORCH_CHECK(quadrant.dim() == 1 && quadrant.size(0) == batch,
                "quadrant targets must be [", batch, "], got ",
                quadrant.sizes());
    const torch::Tensor known = quadrant.ge(0);
    if (known.any().item<bool>()) {
      auto ce = F::CrossEntropyFuncOptions().ignore_index(-1).label_smoothing(
          options.label_smoothing);
      if (!options.class_weights.empty()) {
        TORCH_CHECK(static_cast<int64_t>(options.class_weights.size()) ==
                        logits.size(1),
                    "class_weights has ", options.class_weights.size(),
                    " entries for ", logits.size(1), " classes");
        ce.weight(torch::tensor(options.class_weights, float_opts));
      }
      terms.quadrant = F::cross_entropy(logits, quadrant, ce);
    }
  }

  // V-A targets: the labels where known, else the quadrant's signs.
  torch::Tensor va_target = torch::zeros({batch, 2}, float_opts);
  torch::Tensor va_use = torch::zeros({batch}, float_opts.dtype(torch::kBool));
  if (quadrant.defined() && options.va_from_quadrant > 0 &&
      logits.size(1) == 4) {
    // happy (+,+), tense (-,+), sad (-,-), calm (+,-).
    const torch::Tensor signs =
        torch::tensor({1.0f, 1.0f, -1.0f, 1.0f, -1.0f, -1.0f, 1.0f, -1.0f},
                      float_opts)
            .view({4, 2});
    const torch::Tensor known = quadrant.ge(0);
    va_target =
        signs.index_select(0, quadrant.clamp_min(0)) * options.va_from_quadrant;
    va_use = known;
  }
  if (targets.va.defined()) {
    torch::Tensor va = targets.va.to(logits.device(), logits.scalar_type());
    TORCH_CHECK(va.dim() == 2 && va.size(0) == batch && va.size(1) == 2,
                "va targets must be [", batch, ", 2], got ", va.sizes());
    torch::Tensor mask =
        targets.va_mask.defined()
            ? targets.va_mask.to(logits.device(), torch::kBool)
            : torch::ones({batch}, float_opts.dtype(torch::kBool));
    TORCH_CHECK(mask.dim() == 1 && mask.size(0) == batch, "va_mask must be [",
                batch, "], got ", mask.sizes());
    va_target = torch::where(mask.unsqueeze(1), va, va_target);
    va_use = va_use.logical_or(mask);
  }
  if (va_use.any().item<bool>()) {
    terms.va =
        F::mse_loss(output.va.index({va_use}), va_target.index({va_use}));
  }

  if (targets.tags.defined() && output.tag_logits.defined()) {
    torch::Tensor tags =
        targets.tags.to(logits.device(), output.tag_logits.scalar_type());
    TORCH_CHECK(tags.sizes() == output.tag_logits.sizes(),
                "tag targets must be ", output.tag_logits.sizes(), ", got ",
                tags.sizes());
    auto bce = F::BinaryCrossEntropyWithLogitsFuncOptions();
    if (!options.tag_pos_weight.empty()) {
      TORCH_CHECK(
          static_cast<int64_t>(options.tag_pos_weight.size()) == tags.size(1),
          "tag_pos_weight has ", options.tag_pos_weight.size(), " entries for ",
          tags.size(1), " tags");
      bce.pos_weight(torch::tensor(options.tag_pos_weight, float_opts));
    }
    terms.tags =
        F::binary_cross_entropy_with_logits(output.tag_logits, tags, bce);
  }

  terms.total = options.quadrant_weight * terms.quadrant +
                options.va_weight * terms.va + options.tag_weight * terms.tags;
  return terms;
}

}  // namespace mer::nn
