#include "common/dsp/feature_extractor.h"

#include <algorithm>
#include <utility>

namespace mer::dsp {

core::Status FeatureParams::Validate() const {
  MER_RETURN_IF_ERROR(front_end.Validate());
  if (descriptors) {
    MER_RETURN_IF_ERROR(descriptors->ValidateFor(front_end));
  }
  return core::Status::Ok();
}

nlohmann::json FeatureParams::DescriptorsJson() const {
  return descriptors ? descriptors->ToJson() : nlohmann::json();
}

core::Result<std::optional<DescriptorParams>>
FeatureParams::DescriptorsFromJson(const nlohmann::json& j) {
  if (j.is_null()) return std::optional<DescriptorParams>();
  MER_ASSIGN_OR_RETURN(DescriptorParams p, DescriptorParams::FromJson(j));
  return std::optional<DescriptorParams>(std::move(p));
}

FeatureExtractor::FeatureExtractor(const FeatureParams& params)
    : params_(params), log_mel_(params.front_end) {
  MER_CHECK(params_.Validate().ok());
  if (params_.descriptors) {
    descriptors_ = std::make_unique<DescriptorExtractor>(params_.front_end,
                                                         *params_.descriptors);
  }
}

FeatureExtractor::~FeatureExtractor() = default;

Spectrogram FeatureExtractor::Compute(std::span<const float> pcm) {
  Spectrogram m = log_mel_.Compute(pcm);
  if (!descriptors_) return m;
  const DescriptorMatrix d = descriptors_->Compute(pcm);
  MER_CHECK(d.n_frames == m.n_frames);
  m.data.resize(static_cast<size_t>(m.n_mels + d.n_dims) * m.n_frames);
  std::copy(d.data.begin(), d.data.end(),
            m.data.begin() + static_cast<size_t>(m.n_mels) * m.n_frames);
  m.n_mels += d.n_dims;
  return m;
}

}  // namespace mer::dsp
