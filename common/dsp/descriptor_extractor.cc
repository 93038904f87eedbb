#include "common/dsp/descriptor_extractor.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "common/dsp/dissonance.h"
#include "common/dsp/key_profile.h"
#include "common/dsp/rhythm_descriptors.h"
#include "common/dsp/spectrogram.h"
#include "common/dsp/tonal_centroid.h"
#include "common/dsp/zero_crossing_rate.h"

namespace mer::dsp {
namespace {

// A chroma whose largest class is below this (a sine of about 4e-6, -108
// dBFS) is silence: all zeros rather than scaled-up noise.
constexpr double kChromaFloor = 1e-6;
constexpr double kDissonanceMinHz = 50.0;

FrontEndParams MelFrontEnd(const FrontEndParams& fe,
                           const DescriptorParams& p) {
  FrontEndParams mel = fe;
  mel.fmax = static_cast<float>(
      std::min<double>(fe.EffectiveFmax(), p.EffectiveFmax(fe)));
  mel.top_db = static_cast<float>(p.floor_db);
  return mel;
}

// Orthonormal DCT-II rows 0..n_out-1 over n_in inputs (scipy's dct(type=2,
// norm="ortho"), librosa's mfcc).
std::vector<double> DctMatrix(int n_out, int n_in) {
  std::vector<double> d(static_cast<size_t>(n_out) * n_in);
  for (int k = 0; k < n_out; ++k) {
    const double scale = k == 0 ? std::sqrt(1.0 / n_in) : std::sqrt(2.0 / n_in);
    for (int m = 0; m < n_in; ++m) {
      d[static_cast<size_t>(k) * n_in + m] =
          scale *
          std::cos(std::numbers::pi * k * (2.0 * m + 1.0) / (2.0 * n_in));
    }
  }
  return d;
}

// Frames at which the constant-Q analysis runs: every `step`, and the last.
std::vector<int> AnalysisFrames(int n_frames, int step) {
  std::vector<int> frames;
  for (int t = 0; t < n_frames; t += step) frames.push_back(t);
  if (frames.back() != n_frames - 1) frames.push_back(n_frames - 1);
  return frames;
}

// Linear interpolation of values known at `frames` onto every frame.
void InterpolateRow(const std::vector<int>& frames,
                    const std::vector<double>& values, float* row) {
  for (size_t j = 0; j + 1 < frames.size(); ++j) {
    const int a = frames[j], b = frames[j + 1];
    for (int t = a; t < b; ++t) {
      const double f = static_cast<double>(t - a) / (b - a);
      row[t] = static_cast<float>(values[j] + f * (values[j + 1] - values[j]));
    }
  }
  row[frames.back()] = static_cast<float>(values.back());
}

}  // namespace

const std::vector<std::string>& DescriptorNames() {
  static const std::vector<std::string> kNames = [] {
    std::vector<std::string> n;
    for (const char* pc :
         {"C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"}) {
      n.push_back(std::string("chroma_") + pc);
    }
    n.push_back("key_clarity");
    n.push_back("mode");
    for (int i = 0; i < 6; ++i) n.push_back("tonal_" + std::to_string(i));
    for (const char* s :
         {"harmonic_change", "dissonance", "onset_strength", "onset_rate",
          "tempo_bpm", "pulse_clarity", "rms_db", "centroid_hz", "spread_hz",
          "rolloff_hz", "flatness", "flux"}) {
      n.push_back(s);
    }
    for (int i = 0; i < SpectralShape::kContrastBands; ++i) {
      n.push_back("contrast_" + std::to_string(i));
    }
    for (int i = 0; i < kNumMfcc; ++i) n.push_back("mfcc_" + std::to_string(i));
    n.push_back("zcr");
    MER_CHECK(n.size() == kNumDescriptors);
    return n;
  }();
  return kNames;
}

DescriptorExtractor::DescriptorExtractor(const FrontEndParams& fe,
                                         const DescriptorParams& p)
    : fe_(fe),
      p_(p),
      mel_fe_(MelFrontEnd(fe, p)),
      fmax_(p.EffectiveFmax(fe)),
      stft_(fe),
      shape_(fe, p.EffectiveFmax(fe), stft_.WindowEnergy(), p.rolloff_fraction,
             p.contrast_quantile) {
  MER_CHECK_MSG(p_.ValidateFor(fe_).ok(),
                p_.ValidateFor(fe_).ToString().c_str());
  MER_CHECK_MSG(mel_fe_.Validate().ok(), mel_fe_.Validate().ToString().c_str());
  mel_filterbank_ = SparseFilterbank::FromDense(
      MelFilterbankF64(mel_fe_), mel_fe_.n_mels, mel_fe_.NumFreqs());
  dct_ = DctMatrix(kNumMfcc, mel_fe_.n_mels);
  cq_ = std::make_unique<ConstantQChroma>(fe_.sample_rate, p_.chroma_fmin,
                                          std::min(p_.chroma_fmax, fmax_),
                                          p_.cq_threshold, fmax_);
  power_.assign(fe_.NumFreqs(), 0.0);
}

DescriptorExtractor::~DescriptorExtractor() = default;

DescriptorMatrix DescriptorExtractor::Compute(std::span<const float> pcm) {
  DescriptorMatrix m;
  m.n_dims = kNumDescriptors;
  m.n_frames = NumFrames(pcm.size(), fe_);
  m.data.assign(static_cast<size_t>(m.n_dims) * m.n_frames, 0.0f);
  if (m.n_frames == 0) return m;
  ComputeFrames(pcm, &m);
  ComputeCepstrumAndOnsets(&m);
  log_mel_.clear();
  log_mel_.shrink_to_fit();
  extremes_.clear();
  extremes_.shrink_to_fit();

  float* zcr = m.data.data() + static_cast<size_t>(kZcrRow) * m.n_frames;
  const std::vector<float> rates = ZeroCrossingRates(pcm, fe_, fmax_);
  std::copy(rates.begin(), rates.end(), zcr);

  ComputeHarmony(pcm, &m);

  const RhythmDescriptors rhythm =
      AnalyzeRhythm(m.Row(kOnsetStrengthRow), pcm.size(), fe_, p_);
  auto put = [&m](int row, const std::vector<float>& values) {
    std::copy(values.begin(), values.end(),
              m.data.begin() + static_cast<size_t>(row) * m.n_frames);
  };
  put(kOnsetRateRow, rhythm.onset_rate);
  put(kTempoRow, rhythm.tempo_bpm);
  put(kPulseClarityRow, rhythm.pulse_clarity);
  return m;
}

void DescriptorExtractor::ComputeFrames(std::span<const float> pcm,
                                        DescriptorMatrix* m) {
  const int n_frames = m->n_frames;
  const int n_mels = mel_fe_.n_mels;
  const int n_freqs = fe_.NumFreqs();
  log_mel_.assign(static_cast<size_t>(n_frames) * n_mels, 0.0f);
  const size_t per_frame = shape_.ExtremesPerFrame();
  extremes_.assign(n_frames * per_frame, 0.0f);
  auto row = [&](int r) {
    return m->data.data() + static_cast<size_t>(r) * n_frames;
  };
  shape_.Reset();
  const SparseFilterbank& fb = mel_filterbank_;
  for (int t = 0; t < n_frames; ++t) {
    const double* spec = stft_.Transform(pcm, t);
    for (int k = 0; k < n_freqs; ++k) {
      const double re = spec[2 * k], im = spec[2 * k + 1];
      power_[k] = re * re + im * im;
    }
    // The mel projection as LogMelExtractor::ComputePower sums it (same
    // order, double), so the log-mel is the same to the last bit.
    float* mel = log_mel_.data() + static_cast<size_t>(t) * n_mels;
    for (int b = 0; b < n_mels; ++b) {
      double acc = 0.0;
      const double* w = fb.weights.data() + fb.offset[b];
      for (int k = fb.start[b]; k < fb.end[b]; ++k) acc += *w++ * power_[k];
      mel[b] = static_cast<float>(acc);
    }
    const SpectralShape::Values v =
        shape_.Compute(power_.data(), extremes_.data() + t * per_frame);
    row(kRmsDbRow)[t] = static_cast<float>(v.rms_db);
    row(kCentroidRow)[t] = static_cast<float>(v.centroid_hz);
    row(kSpreadRow)[t] = static_cast<float>(v.spread_hz);
    row(kRolloffRow)[t] = static_cast<float>(v.rolloff_hz);
    row(kFluxRow)[t] = static_cast<float>(v.flux);
  }
  // Contrast, once the loudest bin of the track is known.
  const double floor_magnitude =
      std::sqrt(shape_.max_power() * std::pow(10.0, -p_.floor_db / 10.0));
  for (int t = 0; t < n_frames; ++t) {
    const std::span<const float> e(extremes_.data() + t * per_frame, per_frame);
    const auto contrast = shape_.Contrast(e, floor_magnitude);
    for (int b = 0; b < SpectralShape::kContrastBands; ++b) {
      row(kContrastRow + b)[t] = static_cast<float>(contrast[b]);
    }
  }
}

void DescriptorExtractor::ComputeCepstrumAndOnsets(DescriptorMatrix* m) {
  const int n_frames = m->n_frames;
  const int n_mels = mel_fe_.n_mels;
  // LogMelExtractor::Compute's dB and top_db (floor_db).
  PowerToDb(log_mel_.data(), log_mel_.size());
  const float peak = *std::max_element(log_mel_.begin(), log_mel_.end());
  if (mel_fe_.top_db > 0.0f) {
    const float floor = peak - mel_fe_.top_db;
    for (float& v : log_mel_) v = std::max(v, floor);
  }
  auto row = [&](int r) {
    return m->data.data() + static_cast<size_t>(r) * n_frames;
  };
  for (int t = 0; t < n_frames; ++t) {
    const float* x = log_mel_.data() + static_cast<size_t>(t) * n_mels;
    row(kFlatnessRow)[t] =
        static_cast<float>(FlatnessOfDb(std::span<const float>(x, n_mels)));
    for (int k = 0; k < kNumMfcc; ++k) {
      const double* d = dct_.data() + static_cast<size_t>(k) * n_mels;
      double acc = 0.0;
      for (int b = 0; b < n_mels; ++b) acc += d[b] * x[b];
      row(kMfccRow + k)[t] = static_cast<float>(acc);
    }
  }
  // librosa onset_strength: the log-mel floored at max - top_db, mean
  // positive difference from the previous frame.
  const float floor = peak - static_cast<float>(p_.onset_top_db);
  float* onset = row(kOnsetStrengthRow);
  onset[0] = 0.0f;
  for (int t = 1; t < n_frames; ++t) {
    const float* x = log_mel_.data() + static_cast<size_t>(t) * n_mels;
    const float* prev = x - n_mels;
    double sum = 0.0;
    for (int b = 0; b < n_mels; ++b) {
      sum += std::max(0.0f, std::max(x[b], floor) - std::max(prev[b], floor));
    }
    onset[t] = static_cast<float>(sum / n_mels);
  }
}

void DescriptorExtractor::ComputeHarmony(std::span<const float> pcm,
                                         DescriptorMatrix* m) {
  const int n_frames = m->n_frames;
  const double hop_seconds =
      static_cast<double>(fe_.hop_length) / fe_.sample_rate;
  const int step = std::max(
      1, static_cast<int>(std::lround(p_.chroma_step_seconds / hop_seconds)));
  const std::vector<int> frames = AnalysisFrames(n_frames, step);
  const size_t n = frames.size();

  std::vector<Chroma> chroma(n);
  std::vector<double> dissonance(n);
  for (size_t j = 0; j < n; ++j) {
    cq_->Analyze(pcm, stft_.FrameCenter(frames[j]));
    chroma[j] = cq_->chroma();
    const std::vector<SpectralPeak> peaks =
        FindSpectralPeaks(cq_->magnitude(), cq_->bin_hz(), kDissonanceMinHz,
                          p_.dissonance_max_peaks);
    dissonance[j] = SensoryDissonance(peaks);
  }

  // Key: chroma summed over the window around each analysis frame.
  std::vector<double> clarity(n), mode(n);
  const double half_window = p_.key_window_seconds / 2.0;
  auto seconds = [&](size_t j) { return frames[j] * hop_seconds; };
  Chroma sum{};
  size_t lo = 0, hi = 0;  // analysis frames [lo, hi) are in the sum
  for (size_t j = 0; j < n; ++j) {
    while (hi < n && seconds(hi) <= seconds(j) + half_window) {
      for (int c = 0; c < 12; ++c) sum[c] += chroma[hi][c];
      ++hi;
    }
    while (lo < hi && seconds(lo) < seconds(j) - half_window) {
      for (int c = 0; c < 12; ++c) sum[c] -= chroma[lo][c];
      ++lo;
    }
    Chroma window = sum;
    for (double& v : window) v = std::max(v, 0.0);  // rounding of the sums
    const KeyEstimate key = EstimateKey(window);
    clarity[j] = key.clarity;
    mode[j] = key.mode;
  }

  const std::vector<TonalVector> tonal = TonalCentroids(chroma);
  const double step_seconds = step * hop_seconds;
  const int half_width = std::max(
      0,
      static_cast<int>(std::lround(
          (p_.harmonic_change_smoothing_seconds / step_seconds - 1.0) / 2.0)));
  std::vector<double> change = HarmonicChange(tonal, half_width);
  // Per second: value j spans analysis frames j - 1 .. j + 1 (the first
  // and last repeat their neighbours').
  for (size_t j = 0; j < n && n >= 3; ++j) {
    const size_t mid = std::clamp<size_t>(j, 1, n - 2);
    const double span = (frames[mid + 1] - frames[mid - 1]) * hop_seconds;
    change[j] /= span;
  }

  auto row = [&](int r) {
    return m->data.data() + static_cast<size_t>(r) * n_frames;
  };
  std::vector<double> values(n);
  for (int c = 0; c < 12; ++c) {
    for (size_t j = 0; j < n; ++j) {
      const double peak = *std::max_element(chroma[j].begin(), chroma[j].end());
      values[j] = peak > kChromaFloor ? chroma[j][c] / peak : 0.0;
    }
    InterpolateRow(frames, values, row(kChromaRow + c));
  }
  InterpolateRow(frames, clarity, row(kKeyClarityRow));
  InterpolateRow(frames, mode, row(kModeRow));
  for (int i = 0; i < 6; ++i) {
    for (size_t j = 0; j < n; ++j) values[j] = tonal[j][i];
    InterpolateRow(frames, values, row(kTonalRow + i));
  }
  InterpolateRow(frames, change, row(kHarmonicChangeRow));
  InterpolateRow(frames, dissonance, row(kDissonanceRow));
}

}  // namespace mer::dsp
