// dsp_bench [preset...]: log-mel throughput on one core (60 s of noise per
// preset, best of 10). Not a test: timings vary with the machine. Compare
// with scripts/golden/bench_torchaudio_logmel.py.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "common/dsp/spectrogram.h"

int main(int argc, char** argv) {
  std::vector<std::string> presets(argv + 1, argv + argc);
  if (presets.empty()) presets = mer::dsp::PresetNames();
  for (const std::string& name : presets) {
    auto p = mer::dsp::PresetParams(name);
    if (!p.ok()) {
      std::fprintf(stderr, "%s\n", p.status().ToString().c_str());
      return 2;
    }
    std::vector<float> x(static_cast<size_t>(p->sample_rate) * 60);
    uint32_t seed = 1;
    for (float& v : x) {
      seed = seed * 1664525u + 1013904223u;
      v = static_cast<float>(seed >> 8) / (1 << 24) - 0.5f;
    }
    mer::dsp::LogMelExtractor extractor(*p);
    mer::dsp::Spectrogram s = extractor.Compute(x);
    double best = 1e9;
    for (int i = 0; i < 10; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      s = extractor.Compute(x);
      best = std::min(best, std::chrono::duration<double>(
                                std::chrono::steady_clock::now() - t0)
                                .count());
    }
    std::printf("mer_dsp %s: %d frames: %.2f ms (%.3f us/frame)\n",
                name.c_str(), s.n_frames, best * 1e3, best * 1e6 / s.n_frames);
  }
  return 0;
}
