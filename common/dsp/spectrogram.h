// Log-mel spectrograms of mono float PCM: Spectrogram (the result),
// NumFrames, and LogMelExtractor (FFTW3 single precision).
//
// Matches torchaudio.transforms.MelSpectrogram(power=2) followed by
// 10 * log10(clamp(S, min=1e-10)), and librosa.feature.melspectrogram +
// power_to_db(ref=1.0, amin=1e-10) with the same padding (see
// FrontEndParams). Tested against torchaudio (float64) golden files: within
// 0.01 dB for bins within 100 dB of the peak (float32 FFT resolution below).
#ifndef MER_COMMON_DSP_SPECTROGRAM_H_
#define MER_COMMON_DSP_SPECTROGRAM_H_

#include <cstddef>
#include <span>
#include <vector>

#include "common/core/check.h"
#include "common/dsp/front_end_params.h"
#include "common/dsp/mel.h"
#include "common/dsp/stft.h"

namespace mer::dsp {

// A mel spectrogram (dB or power), row-major [n_mels][n_frames], the layout
// of librosa's and torchaudio's output. A value type.
struct Spectrogram {
  int n_mels = 0;
  int n_frames = 0;
  std::vector<float> data;  // n_mels * n_frames values

  // Value of band `mel` at `frame`; both must be in range (checked).
  float at(int mel, int frame) const {
    MER_CHECK(mel >= 0 && mel < n_mels && frame >= 0 && frame < n_frames);
    return data[static_cast<size_t>(mel) * n_frames + frame];
  }
};

// Frames for n_samples of PCM: with p.center, 1 + n / hop (so at least 1);
// otherwise 1 + (n - n_fft) / hop, or 0 when n < n_fft.
int NumFrames(size_t n_samples, const FrontEndParams& p);

// Computes mel spectrograms with one set of parameters.
//
// Frames: those of Stft (stft.h): frame t covers samples [t*hop - n_fft/2,
// t*hop + n_fft/2) when center is set (padded at both ends per pad_mode),
// else [t*hop, t*hop+n_fft). Any length, including 0, gives a spectrogram.
// Samples must be finite.
//
// Resources: one FFTW plan per n_fft for the whole process (shared, made once
// under FftwPlannerMutex), plus this object's aligned buffers and filterbank.
//
// Thread-safety: construction is thread-safe. An extractor keeps scratch
// buffers, so it is not thread-safe: use one per thread. Compute* takes no
// lock. Results do not depend on what the extractor computed before.
class LogMelExtractor {
 public:
  // `params` must be valid (params.Validate().ok(); checked).
  explicit LogMelExtractor(const FrontEndParams& params);

  // Log-mel in dB: 10 * log10(max(S, 1e-10)) with ref 1.0, then, when
  // top_db > 0, raised to at least max - top_db over the whole spectrogram.
  Spectrogram Compute(std::span<const float> samples);
  // Mel power S (sum of |X|^2 weighted by the filterbank), no dB, no top_db.
  Spectrogram ComputePower(std::span<const float> samples);

  const FrontEndParams& params() const { return params_; }
  // The filterbank in use ([n_mels][n_fft/2+1] by band).
  const SparseFilterbank& filterbank() const { return filterbank_; }

 private:
  // Frames processed together: power spectra are stored frequency-major,
  // [n_freqs][kBlock], so the mel projection runs over contiguous frames.
  static constexpr int kBlock = 16;

  FrontEndParams params_;
  SparseFilterbank filterbank_;
  Stft stft_;
  std::vector<double> block_;  // [n_freqs][kBlock] power spectra
};

// 10 * log10(max(x, amin)) for each of `n` values of `data`, in place, with a
// vectorisable polynomial logarithm: within 1e-5 dB of 10 * log10 for
// results in [-100, 128] dB, about one float step beyond. NaN maps to amin.
void PowerToDb(float* data, size_t n, float amin = 1e-10f);

}  // namespace mer::dsp

#endif  // MER_COMMON_DSP_SPECTROGRAM_H_
