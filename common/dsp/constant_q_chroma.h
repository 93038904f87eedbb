// ConstantQChroma: a 12-bin chroma from qm-dsp's constant-Q transform
// (ConstantQ: Brown & Puckette's sparse spectral kernel, 36 bins per octave,
// each bin a Hamming-windowed complex exponential Q cycles long) of one long
// frame, and the magnitude spectrum of the same frame.
//
// The frame is centred on a given sample: its FFT input is the frame rotated
// so that the centre sample comes first (an FFT shift), because qm-dsp's
// kernels are centred on the FFT's time origin, and the spectrum is handed to
// ConstantQ::process in the mirrored order it reads (bin N-1-j holds X[j]).
// Fed so, every constant-Q bin k analyses the frame around its centre at
// exactly fmin * 2^(k/36) (qm-dsp's Chromagram, by contrast, applies a
// Hamming window to the whole frame and so analyses its edges).
//
// Chroma: the constant-Q magnitudes summed over octaves, then each pitch
// class takes the three bins centred on it (+-1/3 semitone around 12-TET at
// A4 = 440 Hz), which tolerates mistuning up to half a semitone.
//
// Resources: qm-dsp's kernel (made at construction: 36 * octaves FFTs of
// frame_length()), one FFTW plan per frame length (RealFft), buffers.
//
// Thread-safety: construction is thread-safe; one object must not be used by
// two threads at once.
#ifndef MER_COMMON_DSP_CONSTANT_Q_CHROMA_H_
#define MER_COMMON_DSP_CONSTANT_Q_CHROMA_H_

#include <array>
#include <memory>
#include <span>
#include <vector>

#include "common/dsp/real_fft.h"

class ConstantQ;  // qm-dsp

namespace mer::dsp {

class ConstantQChroma {
 public:
  static constexpr int kBinsPerOctave = 36;

  // `fmin`: lowest constant-Q frequency, a 12-TET note (A4 = 440 Hz) for the
  // pitch classes to line up; the whole octaves from fmin up to `fmax` are
  // analysed (at least one: checked). `threshold`: qm-dsp's CQThresh.
  // `spectrum_fmax`: the highest frequency kept in magnitude().
  ConstantQChroma(int sample_rate, double fmin, double fmax, double threshold,
                  double spectrum_fmax);
  ~ConstantQChroma();
  ConstantQChroma(const ConstantQChroma&) = delete;
  ConstantQChroma& operator=(const ConstantQChroma&) = delete;

  // Samples per analysis frame (qm-dsp's FFT length: the next power of two
  // above the lowest bin's kernel, Q * sample_rate / fmin).
  int frame_length() const { return n_; }
  int octaves() const { return octaves_; }
  // Frequency step of magnitude(), sample_rate / frame_length().
  double bin_hz() const { return bin_hz_; }

  // Analyses the frame_length() samples centred on sample `center` of
  // `pcm` (zeros beyond its ends).
  void Analyze(std::span<const float> pcm, long center);

  // After Analyze: summed constant-Q magnitudes per pitch class, index 0 =
  // C. Scale: a sine of amplitude A at a note gives about 0.27 * A per
  // octave it is in.
  const std::array<double, 12>& chroma() const { return chroma_; }
  // After Analyze: |X_k| of the Hann-windowed frame (the window applied in
  // the frequency domain) for bins k * bin_hz() from 0 to spectrum_fmax.
  std::span<const double> magnitude() const { return magnitude_; }

 private:
  int sample_rate_ = 0;
  int n_ = 0;
  int octaves_ = 0;
  int first_pitch_class_ = 0;  // pitch class of fmin, 0 = C
  double bin_hz_ = 0.0;
  std::unique_ptr<ConstantQ> cq_;
  RealFft fft_;
  std::vector<double> mirrored_re_, mirrored_im_;  // [n_] for ConstantQ
  std::vector<double> cq_re_, cq_im_;              // [cq bins]
  std::array<double, 12> chroma_{};
  std::vector<double> magnitude_;
};

}  // namespace mer::dsp

#endif  // MER_COMMON_DSP_CONSTANT_Q_CHROMA_H_
