// FrontEndParams: every number that turns mono PCM into model-input log-mel
// segments. The parameter set is written (as JSON with its digest) into every
// feature shard, model bundle and index; two components whose digests differ
// must not exchange features (DESIGN.md §4).
//
// Conventions follow librosa.feature.melspectrogram / torchaudio's
// MelSpectrogram: periodic Hann window, power spectrogram, Slaney or HTK mel
// scale, optional Slaney area normalisation, 10*log10(max(S, 1e-10)).
//
// Thread-safety: a value type; the free functions are thread-safe.
#ifndef MER_COMMON_DSP_FRONT_END_PARAMS_H_
#define MER_COMMON_DSP_FRONT_END_PARAMS_H_

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/result.h"
#include "common/core/status.h"

namespace mer::dsp {

// Hz <-> mel mapping. kSlaney: linear below 1 kHz, logarithmic above (the
// Auditory Toolbox; librosa's htk=False). kHtk: 2595 * log10(1 + hz / 700).
enum class MelScale { kSlaney, kHtk };
// kSlaney: each triangle divided by its width in Hz (2 / (f_hi - f_lo)), so
// every filter has the same area. kNone: triangles peak at 1.
enum class MelNorm { kSlaney, kNone };
// How `center` pads the signal by n_fft / 2 at both ends. kReflect mirrors
// without repeating the edge sample (torch.stft, librosa < 0.10); kConstant
// pads zeros (librosa >= 0.10).
enum class PadMode { kReflect, kConstant };

// Stable lower-case names used in JSON, Canonical() and Describe():
// "slaney" / "htk", "slaney" / "none", "reflect" / "constant".
const char* MelScaleName(MelScale scale);
const char* MelNormName(MelNorm norm);
const char* PadModeName(PadMode mode);

struct FrontEndParams {
  // Sample rate of the PCM handed to the extractor, in Hz. Range 1000-768000.
  // Default: 16000
  int sample_rate = 16000;
  // FFT size (frame length) in samples; any size >= 16 (FFTW handles all).
  // Default: 512
  int n_fft = 512;
  // Window length in samples, 0 means n_fft. A shorter periodic Hann window
  // is zero-padded to n_fft, centred, as torch.stft does.
  // Default: 0
  int win_length = 0;
  // Samples between successive frames, >= 1.
  // Default: 256
  int hop_length = 256;
  // Number of mel bands, >= 1.
  // Default: 96
  int n_mels = 96;
  // Lowest filter edge in Hz, >= 0 and < the effective fmax.
  // Default: 0
  float fmin = 0.0f;
  // Highest filter edge in Hz, <= sample_rate / 2; 0 means sample_rate / 2.
  // Default: 0
  float fmax = 0.0f;
  // Default: MelScale::kSlaney
  MelScale mel_scale = MelScale::kSlaney;
  // Default: MelNorm::kSlaney
  MelNorm mel_norm = MelNorm::kSlaney;
  // Frame t is centred on sample t * hop_length (the signal is padded by
  // n_fft / 2 at both ends); otherwise frame t starts there.
  // Default: true
  bool center = true;
  // Padding used when `center` is set (ignored otherwise).
  // Default: PadMode::kReflect
  PadMode pad_mode = PadMode::kReflect;
  // Dynamic range limit in dB: values below (max - top_db) of each
  // spectrogram are raised to it. <= 0 disables it.
  // Default: 0
  float top_db = 0.0f;
  // Length of one model input window in seconds (rounded to whole frames).
  // Default: 4.096
  double segment_seconds = 4.096;
  // Time between the starts of successive windows, in seconds; at least one
  // hop and at most segment_seconds.
  // Default: 2.048
  double segment_hop_seconds = 2.048;

  bool operator==(const FrontEndParams&) const = default;

  // OK, or InvalidArgument naming the field, its value and the rule broken:
  // "n_fft 8: must be at least 16".
  [[nodiscard]] core::Status Validate() const;

  // Derived values. The effective ones resolve the "0 means" defaults.
  int EffectiveWinLength() const { return win_length > 0 ? win_length : n_fft; }
  float EffectiveFmax() const {
    return fmax > 0.0f ? fmax : static_cast<float>(sample_rate) / 2.0f;
  }
  int NumFreqs() const { return n_fft / 2 + 1; }
  // lround(segment_seconds * sample_rate / hop_length).
  int SegmentFrames() const;
  // lround(segment_hop_seconds * sample_rate / hop_length).
  int SegmentHopFrames() const;

  // Stable text of every field with fixed formatting (shortest round-trip
  // numbers, effective values for win_length and fmax), e.g.
  // "fe1;sample_rate=16000;n_fft=512;win_length=512;...". Two parameter sets
  // that compute the same features have the same Canonical().
  std::string Canonical() const;
  // "fe1-" + 16 hex digits of core::DigestHex(Canonical()).
  std::string Digest() const;

  // Every field (as stored, "0 means" values kept) plus "digest".
  nlohmann::json ToJson() const;
  // Inverse of ToJson. Every field is required; unknown keys, wrong types,
  // unknown enum names, invalid values (Validate) and a "digest" that does not
  // match the fields are errors.
  static core::Result<FrontEndParams> FromJson(const nlohmann::json& j);

  // One human line: "16000 Hz, n_fft 512, hop 256 (16 ms), 96 mels
  // slaney/slaney, 0-8000 Hz, segments 4.096 s / hop 2.048 s". Non-default
  // window, padding and top_db settings are appended.
  std::string Describe() const;
};

// Named parameter sets: "default" (fast, 16 kHz), "librosa"
// (librosa.feature.melspectrogram's defaults at 22050 Hz) and "paper2019"
// (the seed CRNN paper: 44.1 kHz, n_fft 256, hop 128, 96 x 1366 inputs).
// Unknown names are InvalidArgument listing the valid ones.
core::Result<FrontEndParams> PresetParams(std::string_view name);
// {"default", "librosa", "paper2019"}.
const std::vector<std::string>& PresetNames();
// Multi-line text for --help and the README: each preset with its line from
// Describe() and every parameter.
std::string DescribePresets();

}  // namespace mer::dsp

#endif  // MER_COMMON_DSP_FRONT_END_PARAMS_H_
