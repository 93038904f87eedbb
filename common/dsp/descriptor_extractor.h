// Hand-crafted emotion descriptors per frame, on the log-mel's frame grid:
// DescriptorMatrix (the result), DescriptorNames (its rows) and
// DescriptorExtractor.
//
// Frame t of the descriptors lines up with frame t of
// LogMelExtractor(fe).Compute(pcm) (same count, same centre), so both can be
// cropped together and pooled per model window. Rows, in order:
//
// harmony (a constant-Q analysis every chroma_step_seconds, centred on a
// frame, interpolated linearly onto the frames in between):
//   chroma_C .. chroma_B   12-bin chroma from qm-dsp's constant-Q transform
//                          (36 bins per octave, C3-C7 by default, capped at
//                          fmax), scaled to a maximum of 1 (0 in silence)
//   key_clarity            correlation of the best of the 24 Krumhansl-Kessler
//                          key profiles with the chroma summed over
//                          key_window_seconds around the frame
//   mode                   best major minus best minor key correlation
//   tonal_0 .. tonal_5     Harte's 6-D tonal centroid (qm-dsp TonalEstimator;
//                          fifths, major thirds, minor thirds:
//                          tonal_centroid.h)
//   harmonic_change        Harte's harmonic change (qm-dsp
//                          ChangeDetectionFunction): distance between the
//                          smoothed tonal centroids either side, per second
//   dissonance             sensory roughness (Sethares / Plomp-Levelt) of the
//                          analysis frame's strongest spectral peaks,
//                          50 Hz-fmax (dissonance.h)
// rhythm (rhythm_descriptors.h):
//   onset_strength         librosa's onset_strength: mean over mel bands of
//                          the positive log-mel (dB) difference from the
//                          previous frame, the log-mel floored at its maximum
//                          - onset_top_db (0 for frame 0)
//   onset_rate             onsets (qm-dsp PeakPicking) per second, local
//   tempo_bpm              local tempo (qm-dsp TempoTrackV2), ~6 s windows
//   pulse_clarity          autocorrelation peak of the onset strength in the
//                          tempo range, local, 0-1
// dynamics and texture (per frame):
//   rms_db, centroid_hz, spread_hz, rolloff_hz, flux
//                          spectral_shape.h, on |X| up to fmax
//   flatness               geometric over arithmetic mean of the band-limited
//                          mel power (mel_front_end()), floored at its
//                          maximum over the track less floor_db: 0.76 for
//                          white noise at the default front end (the power
//                          of a band of a few bins varies from frame to
//                          frame), 1e-4 for a sine
//   contrast_0 .. contrast_6
//                          librosa's spectral contrast (spectral_shape.h),
//                          |X| floored at the track's loudest bin less
//                          floor_db
//   mfcc_0 .. mfcc_12      DCT-II (orthonormal) of the log-mel in dB
//                          (librosa's mfcc): LogMelExtractor(
//                          mel_front_end()).Compute(pcm), whose fmax is the
//                          descriptors' and whose top_db is floor_db
//   zcr                    zero crossings per sample after a low-pass at
//                          fmax (zero_crossing_rate.h)
//
// Every spectral row is computed below DescriptorParams::fmax (default
// 7500 Hz), a band that 22.05 kHz / 56 kbps MP3s and full-band sources
// share. Every value is finite for any finite input, silence and clips
// shorter than one analysis window included.
#ifndef MER_COMMON_DSP_DESCRIPTOR_EXTRACTOR_H_
#define MER_COMMON_DSP_DESCRIPTOR_EXTRACTOR_H_

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/core/check.h"
#include "common/dsp/constant_q_chroma.h"
#include "common/dsp/descriptor_params.h"
#include "common/dsp/front_end_params.h"
#include "common/dsp/mel.h"
#include "common/dsp/spectral_shape.h"
#include "common/dsp/stft.h"

namespace mer::dsp {

// Row indices of a DescriptorMatrix (DescriptorNames() in the same order).
enum DescriptorRow : int {
  kChromaRow = 0,  // 12 rows, C .. B
  kKeyClarityRow = 12,
  kModeRow = 13,
  kTonalRow = 14,  // 6 rows
  kHarmonicChangeRow = 20,
  kDissonanceRow = 21,
  kOnsetStrengthRow = 22,
  kOnsetRateRow = 23,
  kTempoRow = 24,
  kPulseClarityRow = 25,
  kRmsDbRow = 26,
  kCentroidRow = 27,
  kSpreadRow = 28,
  kRolloffRow = 29,
  kFlatnessRow = 30,
  kFluxRow = 31,
  kContrastRow = 32,  // 7 rows
  kMfccRow = 39,      // 13 rows
  kZcrRow = 52,
  kNumDescriptors = 53,
};
inline constexpr int kNumMfcc = 13;

// Descriptors of one signal, row-major [n_dims][n_frames]. A value type.
struct DescriptorMatrix {
  int n_dims = 0;
  int n_frames = 0;
  std::vector<float> data;  // n_dims * n_frames values

  float at(int row, int frame) const {
    MER_CHECK(row >= 0 && row < n_dims && frame >= 0 && frame < n_frames);
    return data[static_cast<size_t>(row) * n_frames + frame];
  }
  std::span<const float> Row(int row) const {
    MER_CHECK(row >= 0 && row < n_dims);
    return {data.data() + static_cast<size_t>(row) * n_frames,
            static_cast<size_t>(n_frames)};
  }
};

// The kNumDescriptors row names, in row order ("chroma_C", ..., "zcr").
const std::vector<std::string>& DescriptorNames();

// Computes descriptors with one front end and one parameter set.
//
// Resources: qm-dsp's constant-Q kernel (built at construction, a few ms),
// FFTW plans shared through RealFft, buffers; Compute holds the band-limited
// log-mel of the whole signal (n_mels floats per frame) while it works.
//
// Thread-safety: construction is thread-safe; an extractor keeps scratch
// state, so use one per thread.
class DescriptorExtractor {
 public:
  // p.ValidateFor(fe) must be OK (checked).
  explicit DescriptorExtractor(const FrontEndParams& fe,
                               const DescriptorParams& p = {});
  ~DescriptorExtractor();
  DescriptorExtractor(const DescriptorExtractor&) = delete;
  DescriptorExtractor& operator=(const DescriptorExtractor&) = delete;

  // `pcm`: mono at fe.sample_rate, finite. n_dims == kNumDescriptors and
  // n_frames == NumFrames(pcm.size(), fe).
  DescriptorMatrix Compute(std::span<const float> pcm);

  const FrontEndParams& front_end() const { return fe_; }
  const DescriptorParams& params() const { return p_; }
  // The front end behind the MFCCs, the flatness and the onset strength: fe
  // with its fmax capped at the descriptors' fmax and top_db = floor_db.
  const FrontEndParams& mel_front_end() const { return mel_fe_; }

 private:
  // Frame pass: spectral shape rows, contrast and the band-limited mel
  // power.
  void ComputeFrames(std::span<const float> pcm, DescriptorMatrix* m);
  // Log-mel rows: MFCCs, flatness and onset strength.
  void ComputeCepstrumAndOnsets(DescriptorMatrix* m);
  // Constant-Q pass: harmony rows and dissonance.
  void ComputeHarmony(std::span<const float> pcm, DescriptorMatrix* m);

  FrontEndParams fe_;
  DescriptorParams p_;
  FrontEndParams mel_fe_;
  double fmax_ = 0.0;
  Stft stft_;
  SparseFilterbank mel_filterbank_;
  std::vector<double> dct_;  // [kNumMfcc][n_mels]
  SpectralShape shape_;
  std::unique_ptr<ConstantQChroma> cq_;
  std::vector<double> power_;    // [n_fft / 2 + 1]
  std::vector<float> log_mel_;   // [n_frames][n_mels] of the current signal
  std::vector<float> extremes_;  // [n_frames][ExtremesPerFrame()], contrast
};

}  // namespace mer::dsp

#endif  // MER_COMMON_DSP_DESCRIPTOR_EXTRACTOR_H_
