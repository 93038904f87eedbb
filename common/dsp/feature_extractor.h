// FeatureParams and FeatureExtractor: what a model reads of a track, as one
// matrix. Rows, in order: the front end's n_mels log-mel bands (dB), then,
// when `descriptors` is set, the kNumDescriptors hand-crafted descriptors of
// descriptor_extractor.h on the same frames. A model that reads fewer rows
// (no descriptor branch) takes the first n_mels: the layout is row-major
// [rows][n_frames], so those are a prefix of the data.
//
//   FeatureExtractor extractor(params);            // one per thread
//   dsp::Spectrogram m = extractor.Compute(pcm);   // m.n_mels == rows()
//
// Thread-safety: FeatureParams is a value type; a FeatureExtractor keeps
// scratch state (FFTW buffers, the constant-Q kernel), so one per thread.
#ifndef MER_COMMON_DSP_FEATURE_EXTRACTOR_H_
#define MER_COMMON_DSP_FEATURE_EXTRACTOR_H_

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>

#include "common/core/result.h"
#include "common/core/status.h"
#include "common/dsp/descriptor_extractor.h"
#include "common/dsp/descriptor_params.h"
#include "common/dsp/front_end_params.h"
#include "common/dsp/spectrogram.h"

namespace mer::dsp {

struct FeatureParams {
  FrontEndParams front_end;
  // Descriptor rows after the log-mel; nullopt: log-mel only. Default: none.
  std::optional<DescriptorParams> descriptors;

  // n_mels, plus kNumDescriptors with descriptors.
  int rows() const {
    return front_end.n_mels + (descriptors ? kNumDescriptors : 0);
  }
  core::Status Validate() const;
  // The descriptors' JSON (DescriptorParams::ToJson) or null: how manifests
  // and shard indexes record them.
  nlohmann::json DescriptorsJson() const;
  // Reads DescriptorsJson()'s output back (null: none).
  static core::Result<std::optional<DescriptorParams>> DescriptorsFromJson(
      const nlohmann::json& j);
};

class FeatureExtractor {
 public:
  // params.Validate() must be OK (checked).
  explicit FeatureExtractor(const FeatureParams& params);
  ~FeatureExtractor();
  FeatureExtractor(const FeatureExtractor&) = delete;
  FeatureExtractor& operator=(const FeatureExtractor&) = delete;

  // `pcm`: mono at front_end.sample_rate, finite. Returns [rows()][n_frames]
  // (in Spectrogram, whose n_mels field holds rows()).
  Spectrogram Compute(std::span<const float> pcm);

  const FeatureParams& params() const { return params_; }

 private:
  FeatureParams params_;
  LogMelExtractor log_mel_;
  std::unique_ptr<DescriptorExtractor> descriptors_;  // null: none
};

}  // namespace mer::dsp

#endif  // MER_COMMON_DSP_FEATURE_EXTRACTOR_H_
