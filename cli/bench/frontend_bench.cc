// mer_frontend_bench: decode + log-mel throughput of the front end on real
// files, single thread, measured in CPU seconds (scripts/bench/frontend.sh
// runs it beside the ffmpeg CLI and torchaudio and prints the ratios).
//
//   mer_frontend_bench [--preset NAME] [--repeat N] [--dump-dir DIR]
//                      [--descriptors] FILE...
//
// Prints one JSON object: audio seconds, CPU seconds of decode and of
// log-mel, and x-realtime per core for each. --descriptors also times the
// hand-crafted descriptors (DescriptorExtractor) on the same samples.
// --dump-dir writes each decoded file as DIR/<n>.npy so a peer can run on
// exactly the same samples.
#include <time.h>

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/audio/audio_decoder.h"
#include "common/core/npy.h"
#include "common/dsp/descriptor_extractor.h"
#include "common/dsp/front_end_params.h"
#include "common/dsp/spectrogram.h"

namespace {

double CpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace mer;
  std::string preset = "default", dump_dir;
  int repeat = 1;
  bool descriptors = false;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--preset" && i + 1 < argc) {
      preset = argv[++i];
    } else if (a == "--repeat" && i + 1 < argc) {
      repeat = std::stoi(argv[++i]);
    } else if (a == "--dump-dir" && i + 1 < argc) {
      dump_dir = argv[++i];
    } else if (a == "--descriptors") {
      descriptors = true;
    } else if (a == "--help" || a == "-h") {
      std::cout << "Usage: mer_frontend_bench [--preset NAME] [--repeat N] "
                   "[--dump-dir DIR] [--descriptors] FILE...\n";
      return 0;
    } else {
      files.push_back(a);
    }
  }
  auto params = dsp::PresetParams(preset);
  if (!params.ok() || files.empty()) {
    std::cerr << "mer_frontend_bench: error: "
              << (files.empty() ? "no FILE given" : params.status().message())
              << "\n";
    return 2;
  }
  audio::DecodeOptions decode;
  decode.sample_rate = params->sample_rate;
  dsp::LogMelExtractor extractor(*params);
  dsp::DescriptorExtractor descriptor_extractor(*params);

  double audio_s = 0, decode_cpu = 0, mel_cpu = 0, descriptor_cpu = 0;
  long frames = 0;
  int failed = 0;
  for (int r = 0; r < repeat; ++r) {
    for (size_t f = 0; f < files.size(); ++f) {
      double t0 = CpuSeconds();
      auto pcm = audio::DecodeFile(files[f], decode);
      double t1 = CpuSeconds();
      if (!pcm.ok()) {
        if (r == 0) {
          ++failed;
          std::cerr << "mer_frontend_bench: " << pcm.status().message() << "\n";
        }
        continue;
      }
      dsp::Spectrogram mel = extractor.Compute(pcm->samples);
      double t2 = CpuSeconds();
      decode_cpu += t1 - t0;
      mel_cpu += t2 - t1;
      if (descriptors) {
        const dsp::DescriptorMatrix d =
            descriptor_extractor.Compute(pcm->samples);
        descriptor_cpu += CpuSeconds() - t2;
        if (d.n_frames != mel.n_frames) {
          std::cerr << "mer_frontend_bench: frame counts differ\n";
          return 1;
        }
      }
      audio_s += pcm->seconds();
      frames += mel.n_frames;
      if (r == 0 && !dump_dir.empty()) {
        std::string path = dump_dir + "/" + std::to_string(f) + ".npy";
        if (auto s = core::WriteNpy(path, pcm->samples.data(),
                                    {pcm->samples.size()});
            !s.ok()) {
          std::cerr << "mer_frontend_bench: " << s.message() << "\n";
          return 1;
        }
      }
    }
  }
  nlohmann::json j;
  j["preset"] = preset;
  j["files"] = files.size();
  j["failed"] = failed;
  j["repeat"] = repeat;
  j["audio_seconds"] = audio_s;
  j["frames"] = frames;
  j["decode_cpu_seconds"] = decode_cpu;
  j["log_mel_cpu_seconds"] = mel_cpu;
  j["decode_x_realtime"] = decode_cpu > 0 ? audio_s / decode_cpu : 0;
  j["log_mel_x_realtime"] = mel_cpu > 0 ? audio_s / mel_cpu : 0;
  j["total_x_realtime"] =
      decode_cpu + mel_cpu > 0 ? audio_s / (decode_cpu + mel_cpu) : 0;
  if (descriptors) {
    j["descriptors_cpu_seconds"] = descriptor_cpu;
    j["descriptors_x_realtime"] =
        descriptor_cpu > 0 ? audio_s / descriptor_cpu : 0;
    j["descriptors_over_decode"] =
        decode_cpu > 0 ? descriptor_cpu / decode_cpu : 0;
  }
  std::cout << j.dump() << std::endl;
  return failed == static_cast<int>(files.size()) ? 1 : 0;
}
