#include "common/dsp/rhythm_descriptors.h"

#include <algorithm>
#include <cmath>
#include <numbers>

// qm-dsp last: its headers define macros and pull in `using namespace std`.
#include "dsp/onsets/PeakPicking.h"
#include "dsp/tempotracking/TempoTrackV2.h"

namespace mer::dsp {
namespace {

constexpr double kDt = kRhythmStepSeconds;
// TempoTrackV2's analysis: 512-value windows every 128 values.
constexpr int kTempoWindow = 512;
constexpr int kTempoHop = 128;
// PeakPicking's median filter and FiltFilt read up to 16 values without
// checking the length: shorter curves are padded with zeros.
constexpr size_t kMinPeakPickLength = 32;

// Linear interpolation of (x[i], y[i]) at `at`, x increasing; held beyond
// the ends.
double Interpolate(const std::vector<double>& x, const std::vector<double>& y,
                   double at) {
  if (x.empty()) return 0.0;
  if (at <= x.front()) return y.front();
  if (at >= x.back()) return y.back();
  const size_t i = std::upper_bound(x.begin(), x.end(), at) - x.begin();
  const double f = (at - x[i - 1]) / (x[i] - x[i - 1]);
  return y[i - 1] + f * (y[i] - y[i - 1]);
}

std::vector<double> DetectOnsets(const std::vector<double>& df,
                                 double sensitivity) {
  std::vector<double> onsets;
  if (df.empty()) return onsets;
  const auto [lo, hi] = std::minmax_element(df.begin(), df.end());
  if (!(*hi - *lo > 1e-9)) return onsets;  // flat: none
  std::vector<double> src(df);
  src.resize(std::max(src.size(), kMinPeakPickLength), *lo);
  // qm-dsp's onset detector (OnsetDetect.cpp) settings.
  double a_coeffs[] = {1.0000, -0.5949, 0.2348};
  double b_coeffs[] = {0.1600, 0.3200, 0.1600};
  PPickParams pp;
  pp.length = static_cast<unsigned>(src.size());
  pp.tau = kDt;
  pp.alpha = 9;
  pp.cutoff = 0.25;
  pp.LPOrd = 2;
  pp.LPACoeffs = a_coeffs;
  pp.LPBCoeffs = b_coeffs;
  pp.WinT.post = 8;
  pp.WinT.pre = 7;
  pp.QuadThresh.a = (100.0 - sensitivity) / 1000.0;
  pp.QuadThresh.b = 0;
  pp.QuadThresh.c = (100.0 - sensitivity) / 1500.0;
  PeakPicking picker(pp);
  std::vector<int> idx;
  picker.process(src.data(), pp.length, idx);
  for (int i : idx) {
    if (i >= 0 && static_cast<size_t>(i) < df.size()) {
      onsets.push_back(i * kDt);
    }
  }
  std::sort(onsets.begin(), onsets.end());
  return onsets;
}

// Integral of cos^2(pi x / w) over [a, b].
double HannArea(double a, double b, double w) {
  auto f = [w](double x) {
    return x / 2.0 + w / (4.0 * std::numbers::pi) *
                         std::sin(2.0 * std::numbers::pi * x / w);
  };
  return b > a ? f(b) - f(a) : 0.0;
}

// Beat period per TempoTrackV2 window, as BPM at the window centres.
void TrackTempo(const std::vector<double>& df, std::vector<double>* times,
                std::vector<double>* bpm) {
  std::vector<double> padded(df);
  padded.resize(std::max<size_t>(padded.size(), kTempoWindow + kTempoHop + 1),
                0.0);
  TempoTrackV2 tracker(44100.0f, 512);
  std::vector<double> beat_period(padded.size(), 0.0), tempi;
  tracker.calculateBeatPeriod(padded, beat_period, tempi);
  for (size_t i = 0; i + kTempoWindow < padded.size(); i += kTempoHop) {
    const double period = beat_period[i];  // in detection-function values
    if (!(period > 0.0)) continue;
    times->push_back((i + kTempoWindow / 2) * kDt);
    bpm->push_back(60.0 / (period * kDt));
  }
}

// Pulse clarity of the window of `df` centred at `center` seconds.
double PulseClarity(const std::vector<double>& df, double center,
                    const DescriptorParams& p) {
  const long n = static_cast<long>(df.size());
  const long first =
      std::max(0L, static_cast<long>(
                       std::ceil((center - p.pulse_window_seconds / 2) / kDt)));
  const long last = std::min(
      n - 1, static_cast<long>(
                 std::floor((center + p.pulse_window_seconds / 2) / kDt)));
  const long len = last - first + 1;
  const long min_lag =
      std::max(1L, std::lround(60.0 / (p.pulse_max_bpm * kDt)));
  const long max_lag =
      std::min(len - 1, std::lround(60.0 / (p.pulse_min_bpm * kDt)));
  if (len < 2 || min_lag > max_lag) return 0.0;
  std::vector<double> x(df.begin() + first, df.begin() + last + 1);
  double mean = 0.0;
  for (double v : x) mean += v;
  mean /= len;
  double r0 = 0.0;
  for (double& v : x) {
    v -= mean;
    r0 += v * v;
  }
  if (!(r0 > 1e-12)) return 0.0;
  double best = 0.0;
  for (long lag = min_lag; lag <= max_lag; ++lag) {
    double r = 0.0;
    for (long i = 0; i + lag < len; ++i) r += x[i] * x[i + lag];
    best = std::max(best, r / r0);
  }
  return std::min(best, 1.0);
}

}  // namespace

RhythmDescriptors AnalyzeRhythm(std::span<const float> onset_strength,
                                size_t n_samples, const FrontEndParams& fe,
                                const DescriptorParams& p) {
  RhythmDescriptors out;
  const size_t n_frames = onset_strength.size();
  out.onset_rate.assign(n_frames, 0.0f);
  out.tempo_bpm.assign(n_frames, 0.0f);
  out.pulse_clarity.assign(n_frames, 0.0f);
  if (n_frames == 0) return out;
  const double fs = fe.sample_rate;
  const double offset = fe.center ? 0.0 : fe.n_fft / 2.0;
  auto frame_seconds = [&](size_t t) {
    return (static_cast<double>(t) * fe.hop_length + offset) / fs;
  };
  const double duration = n_samples / fs;

  // The curve at qm-dsp's rate, linear between frames, held beyond them.
  const size_t len = static_cast<size_t>(std::floor(duration / kDt)) + 1;
  std::vector<double> df(len);
  for (size_t k = 0; k < len; ++k) {
    const double x = (k * kDt * fs - offset) / fe.hop_length;
    if (x <= 0.0) {
      df[k] = onset_strength[0];
    } else if (x >= static_cast<double>(n_frames - 1)) {
      df[k] = onset_strength[n_frames - 1];
    } else {
      const size_t i = static_cast<size_t>(x);
      const double f = x - static_cast<double>(i);
      df[k] = (1.0 - f) * onset_strength[i] + f * onset_strength[i + 1];
    }
  }

  // Onsets and their rate under a Hann window.
  out.onset_seconds = DetectOnsets(df, p.onset_sensitivity);
  const double w = p.onset_rate_window_seconds;
  size_t lo = 0;
  for (size_t t = 0; t < n_frames; ++t) {
    const double c = frame_seconds(t);
    while (lo < out.onset_seconds.size() && out.onset_seconds[lo] <= c - w / 2)
      ++lo;
    double count = 0.0;
    for (size_t i = lo;
         i < out.onset_seconds.size() && out.onset_seconds[i] < c + w / 2;
         ++i) {
      const double u =
          std::cos(std::numbers::pi * (out.onset_seconds[i] - c) / w);
      count += u * u;
    }
    const double area =
        HannArea(std::max(-w / 2, -c), std::min(w / 2, duration - c), w);
    out.onset_rate[t] = area > 1e-9 ? static_cast<float>(count / area) : 0.0f;
  }

  // Tempo: window centres, interpolated onto the frames.
  std::vector<double> tempo_times, tempo_bpm;
  TrackTempo(df, &tempo_times, &tempo_bpm);
  for (size_t t = 0; t < n_frames; ++t) {
    out.tempo_bpm[t] = static_cast<float>(
        Interpolate(tempo_times, tempo_bpm, frame_seconds(t)));
  }

  // Pulse clarity every step, interpolated onto the frames.
  std::vector<double> pulse_times, pulse;
  const double step = p.pulse_step_seconds;
  const size_t steps = static_cast<size_t>(std::ceil(duration / step)) + 1;
  for (size_t j = 0; j < steps; ++j) {
    pulse_times.push_back(j * step);
    pulse.push_back(PulseClarity(df, j * step, p));
  }
  for (size_t t = 0; t < n_frames; ++t) {
    out.pulse_clarity[t] =
        static_cast<float>(Interpolate(pulse_times, pulse, frame_seconds(t)));
  }
  return out;
}

}  // namespace mer::dsp
