// SpectralShape: the per-frame spectral descriptors of one STFT frame (the
// front end's window and framing, stft.h), each computed on the bins at or
// below `fmax` only:
//
//   rms_db       20 log10(max(rms, 1e-5)): the window-weighted RMS of the
//                frame's content below fmax, from the power spectrum
//                (Parseval); a sine of amplitude A gives A / sqrt(2).
//   centroid_hz  sum f |X| / sum |X| (librosa spectral_centroid)
//   spread_hz    sqrt(sum (f - centroid)^2 |X| / sum |X|)
//                (librosa spectral_bandwidth, p = 2)
//   rolloff_hz   the lowest bin frequency below which rolloff_fraction of
//                sum |X| lies (librosa spectral_rolloff)
//   flux         L2 distance between this frame's and the previous frame's
//                magnitude spectra, each scaled to unit sum (0 for the first)
//   contrast_db  librosa spectral_contrast: octave bands [0, 200], [200,
//                400], ..., [3200, 6400], [6400, fmax] Hz; per band the mean
//                of the top and of the bottom `quantile` of |X| (at least one
//                bin), 10 log10(peak) - 10 log10(valley) with a 1e-10 floor.
//                Here each |X| is first raised to a floor that the caller
//                picks once the whole signal has been seen (the loudest bin
//                of the track less DescriptorParams::floor_db): a low-bitrate
//                codec zeroes scattered bins far below the loudest, and
//                librosa's valleys would measure those holes. So Compute
//                keeps each band's `count` lowest and highest |X| per frame
//                (Extremes) and Contrast() finishes them; flooring commutes
//                with taking the extremes, so this equals flooring first.
//                0 for a band with no bins below fmax.
//
// Silence gives rms_db -100 and 0 for the rest.
//
// Thread-safety: keeps the previous frame (for the flux), the loudest bin
// and scratch space: one object per thread; Reset() before a new signal.
#ifndef MER_COMMON_DSP_SPECTRAL_SHAPE_H_
#define MER_COMMON_DSP_SPECTRAL_SHAPE_H_

#include <array>
#include <span>
#include <vector>

#include "common/dsp/front_end_params.h"

namespace mer::dsp {

class SpectralShape {
 public:
  static constexpr int kContrastBands = 7;  // librosa's n_bands = 6, plus 1
  static constexpr double kContrastFmin = 200.0;

  struct Values {
    double rms_db = 0.0;
    double centroid_hz = 0.0;
    double spread_hz = 0.0;
    double rolloff_hz = 0.0;
    double flux = 0.0;
  };

  // `fe` valid; 0 < fmax; rolloff_fraction in (0, 1); contrast_quantile in
  // (0, 0.5). `window_energy`: Stft::WindowEnergy() of the frames.
  SpectralShape(const FrontEndParams& fe, double fmax, double window_energy,
                double rolloff_fraction, double contrast_quantile);

  // `power`: |X_k|^2 for k = 0 .. n_fft / 2 of one frame. Writes the
  // frame's contrast extremes to `extremes` (ExtremesPerFrame() floats).
  Values Compute(const double* power, float* extremes);
  // Forgets the previous frame (the next flux is 0) and the loudest bin.
  void Reset();

  // Floats Compute writes per frame: per band, its `count` lowest |X|
  // (ascending) then its `count` highest.
  int ExtremesPerFrame() const { return extremes_per_frame_; }
  // The largest |X_k|^2 (k <= last_bin()) since Reset(); 0 before any frame.
  double max_power() const { return max_power_; }
  // Contrast per band (dB) of one frame's `extremes`, every |X| raised to
  // at least `floor_magnitude` (>= 0) first.
  std::array<double, kContrastBands> Contrast(std::span<const float> extremes,
                                              double floor_magnitude) const;

  // Bins used: 0 .. last_bin(), those at or below fmax.
  int last_bin() const { return last_bin_; }

 private:
  struct Band {
    int begin = 0, end = 0;  // bins [begin, end)
    int count = 0;           // top and bottom bins averaged
    int offset = 0;          // of the band's extremes in a frame's
  };

  int n_fft_ = 0;
  int last_bin_ = 0;
  double bin_hz_ = 0.0;
  double power_scale_ = 0.0;  // 1 / (n_fft * window energy)
  double rolloff_fraction_ = 0.0;
  std::array<Band, kContrastBands> bands_{};
  int extremes_per_frame_ = 0;
  bool have_previous_ = false;
  double max_power_ = 0.0;
  std::vector<double> magnitude_, previous_;  // [last_bin + 1]
  std::vector<double> scratch_;
};

// Spectral flatness of a power spectrum given in dB: the geometric over the
// arithmetic mean of 10^(db / 10) (librosa spectral_flatness on power, amin
// applied before the dB). 1 for a flat spectrum, near 0 for a line; 1 for
// an empty span.
double FlatnessOfDb(std::span<const float> db);

}  // namespace mer::dsp

#endif  // MER_COMMON_DSP_SPECTRAL_SHAPE_H_
