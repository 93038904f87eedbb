// DescriptorParams: every number that turns mono PCM (framed by a front end,
// FrontEndParams) into the hand-crafted emotion descriptors of
// DescriptorExtractor. Written as JSON with its digest ("ds1-...") next to
// descriptor files, like FrontEndParams' "fe1-..." digest.
//
// The band limit: `fmax` caps every spectral descriptor (centroid, spread,
// rolloff, flatness, flux, contrast, dissonance, RMS, the band-limited
// log-mel behind the MFCCs and the onset strength, the low-pass before the
// zero-crossing count) and the constant-Q range of the chroma, so that
// band-limited sources (22.05 kHz MP3s at 56 kbps, low-passed near 10 kHz)
// and full-band ones give the same values.
//
// The floor: below the band limit a low-bitrate codec still zeroes
// scattered bins and whole quiet bands far under the loudest content (at
// 56 kbps, 15-45 % of the bins between 5 and 7.5 kHz lie 20 dB or more under
// the original), so every descriptor that takes logarithms of small values
// (MFCCs, flatness, contrast valleys, onset strength) floors them at the
// track's loudest value less `floor_db` (or `onset_top_db`) first. Measured
// on real music against its 56 kbps transcode (descriptor_band_test.cc):
// without the floor the MFCCs' statistics move by up to 1.9 and the high
// contrast bands' by up to 12 across-track standard deviations; with 60 dB,
// by at most about 0.2.
//
// Thread-safety: a value type.
#ifndef MER_COMMON_DSP_DESCRIPTOR_PARAMS_H_
#define MER_COMMON_DSP_DESCRIPTOR_PARAMS_H_

#include <nlohmann/json.hpp>
#include <string>

#include "common/core/result.h"
#include "common/core/status.h"
#include "common/dsp/front_end_params.h"

namespace mer::dsp {

struct DescriptorParams {
  // Highest frequency any descriptor looks at, in Hz; capped at the front
  // end's sample_rate / 2. Range 1000-48000.
  // Default: 7500
  double fmax = 7500.0;
  // dB range kept under the track's loudest value by the MFCCs (the
  // band-limited log-mel's top_db), the flatness (of the same mel power) and
  // the contrast (of |X|, its peaks and valleys). Range (0, 200].
  // Default: 60
  double floor_db = 60.0;

  // ---- harmony (constant-Q chroma, qm-dsp) ----
  // Lowest and highest constant-Q frequency of the chroma, in Hz (36 bins
  // per octave, A4 = 440 Hz). The top is capped at fmax; at least one whole
  // octave must remain. Whole octaves from chroma_fmin are used.
  // Default: 130.8128 (C3) and 2093.005 (C7), qm-dsp's key detector range
  double chroma_fmin = 130.8128;
  double chroma_fmax = 2093.005;
  // Threshold below which constant-Q kernel values are dropped (qm-dsp's
  // CQThresh), in (0, 0.5).
  // Default: 0.0054 (qm-dsp's key detector)
  double cq_threshold = 0.0054;
  // Time between constant-Q analyses, in seconds (rounded to whole frames,
  // at least one); chroma, key, tonal centroid, harmonic change and
  // dissonance are interpolated linearly onto every frame in between.
  // Range (0, 2].
  // Default: 0.1
  double chroma_step_seconds = 0.1;
  // Length of the window (centred on each frame) whose summed chroma is
  // correlated with the 24 key profiles, in seconds. Range (0, 60].
  // Default: 4
  double key_window_seconds = 4.0;
  // Full width of the Gaussian that smooths the tonal centroid before the
  // harmonic change is taken (qm-dsp ChangeDetectionFunction, sigma =
  // width / 4.71), in seconds. Range [0, 10].
  // Default: 1
  double harmonic_change_smoothing_seconds = 1.0;
  // Strongest spectral peaks (of the constant-Q analysis frame's spectrum,
  // 50 Hz to fmax) whose pairwise roughness makes the dissonance. 2-256.
  // Default: 24
  int dissonance_max_peaks = 24;

  // ---- rhythm ----
  // Floor of the log-mel (dB) behind the onset strength, below the
  // spectrogram's maximum (librosa onset_strength's top_db, 80 there; the
  // onset strength sums dB differences of every band, so codec noise in
  // quiet bands counts fully: 50 halves its effect against 80, measured as
  // for floor_db). Range (0, 200].
  // Default: 50
  double onset_top_db = 50.0;
  // Sensitivity of the onset peak picker (qm-dsp PeakPicking, as in its
  // onset detector): 0-100, higher finds more onsets.
  // Default: 50
  double onset_sensitivity = 50.0;
  // Length of the Hann window (centred on each frame) over which onsets are
  // counted for the onset rate, in seconds. Range (0, 60].
  // Default: 6
  double onset_rate_window_seconds = 6.0;
  // Length of the window of the onset strength whose autocorrelation gives
  // the pulse clarity, in seconds. Range (0, 60].
  // Default: 8
  double pulse_window_seconds = 8.0;
  // Time between pulse-clarity windows, in seconds. Range (0, 10].
  // Default: 0.5
  double pulse_step_seconds = 0.5;
  // Tempo range (BPM) whose beat periods the pulse clarity searches.
  // 10 <= pulse_min_bpm < pulse_max_bpm <= 1000.
  // Default: 40 and 200
  double pulse_min_bpm = 40.0;
  double pulse_max_bpm = 200.0;

  // ---- texture ----
  // Fraction of the magnitude below the spectral rolloff. Range (0, 1).
  // Default: 0.85
  double rolloff_fraction = 0.85;
  // Fraction of each octave band's bins averaged into its peak and valley
  // (librosa spectral_contrast's quantile). Range (0, 0.5).
  // Default: 0.02
  double contrast_quantile = 0.02;

  bool operator==(const DescriptorParams&) const = default;

  // OK, or InvalidArgument naming the field, its value and the rule broken.
  [[nodiscard]] core::Status Validate() const;
  // Validate(), plus what depends on the front end: at least one chroma
  // octave from chroma_fmin below min(chroma_fmax, fmax, sample_rate / 2).
  [[nodiscard]] core::Status ValidateFor(const FrontEndParams& fe) const;

  // min(fmax, fe.sample_rate / 2).
  double EffectiveFmax(const FrontEndParams& fe) const;

  // Stable text of every field ("ds1;fmax=7500;..."), shortest round-trip
  // numbers.
  std::string Canonical() const;
  // "ds1-" + 16 hex digits of core::DigestHex(Canonical()).
  std::string Digest() const;
  // Every field plus "digest".
  nlohmann::json ToJson() const;
  // Inverse of ToJson. Every field is required; unknown keys, wrong types,
  // invalid values and a "digest" that does not match are errors.
  static core::Result<DescriptorParams> FromJson(const nlohmann::json& j);
};

}  // namespace mer::dsp

#endif  // MER_COMMON_DSP_DESCRIPTOR_PARAMS_H_
