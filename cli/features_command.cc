// mer features FILE --out OUT.npy: decode one file and write its log-mel
// spectrogram as a float32 .npy array of shape [n_mels, n_frames].
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/cli_util.h"
#include "cli/command.h"
#include "cli/front_end_options.h"
#include "common/audio/audio_decoder.h"
#include "common/core/npy.h"
#include "common/dsp/front_end_params.h"
#include "common/dsp/spectrogram.h"

namespace mer::cli {
namespace {

struct FeaturesOptions {
  std::string file;
  std::string out;
  std::string save_audio;       // optional .npy of the decoded PCM
  dsp::FrontEndParams front_end;
  double offset_seconds = 0;    // Default: 0
  double max_seconds = 0;       // Default: 0 (whole file)
  bool json = false;
};

int Run(const FeaturesOptions& o) {
  using Clock = std::chrono::steady_clock;
  auto t0 = Clock::now();
  audio::DecodeOptions decode;
  decode.sample_rate = o.front_end.sample_rate;
  decode.offset_seconds = o.offset_seconds;
  decode.max_seconds = o.max_seconds;
  if (auto s = decode.Validate(); !s.ok()) {
    return UsageError("features", s.message());
  }
  auto audio = audio::DecodeFile(o.file, decode);
  if (!audio.ok()) {
    PrintError("features", audio.status().message());
    return kExitFailure;
  }
  auto t1 = Clock::now();
  dsp::LogMelExtractor extractor(o.front_end);
  dsp::Spectrogram mel = extractor.Compute(audio->samples);
  auto t2 = Clock::now();
  if (mel.n_frames == 0) {
    PrintError("features", o.file + ": too short for one frame");
    return kExitFailure;
  }
  if (auto s = core::WriteNpy(o.out, mel.data.data(),
                              {size_t(mel.n_mels), size_t(mel.n_frames)});
      !s.ok()) {
    PrintError("features", s.message());
    return kExitFailure;
  }
  if (!o.save_audio.empty()) {
    if (auto s = core::WriteNpy(o.save_audio, audio->samples.data(),
                                {audio->samples.size()});
        !s.ok()) {
      PrintError("features", s.message());
      return kExitFailure;
    }
  }
  const double decode_s = std::chrono::duration<double>(t1 - t0).count();
  const double mel_s = std::chrono::duration<double>(t2 - t1).count();
  if (o.json) {
    nlohmann::json j;
    j["path"] = o.file;
    j["out"] = o.out;
    j["shape"] = {mel.n_mels, mel.n_frames};
    j["seconds"] = audio->seconds();
    j["sample_rate"] = o.front_end.sample_rate;
    j["front_end"] = o.front_end.ToJson();
    j["corrupt_packets_skipped"] = audio->corrupt_packets_skipped;
    j["decode_seconds"] = decode_s;
    j["log_mel_seconds"] = mel_s;
    std::cout << j.dump() << "\n";
  } else {
    std::cout << o.out << ": float32 [" << mel.n_mels << ", " << mel.n_frames
              << "] (n_mels x n_frames) from " << audio->seconds()
              << " s of audio; " << o.front_end.Describe() << "; "
              << o.front_end.Digest() << "\n";
  }
  return kExitOk;
}

}  // namespace

int FeaturesMain(const std::vector<std::string>& args) {
  po::options_description desc("Options"), hidden;
  hidden.add_options()("file", po::value<std::string>(), "audio file to read");
  desc.add_options()
      ("out,o", po::value<std::string>(), "output .npy file (required)")
      ("offset", po::value<double>()->default_value(0),
       "start at this many seconds into the file")
      ("duration", po::value<double>()->default_value(0),
       "read at most this many seconds (0 = to the end)")
      ("save-audio", po::value<std::string>(),
       "also write the decoded mono PCM as a float32 .npy")
      ("json", "print a JSON summary instead of a line of text");
  AddFrontEndOptions(desc);
  po::positional_options_description pos;
  pos.add("file", 1);
  auto parsed = ParseArgs(args, desc, hidden, pos);
  if (!parsed) return kExitUsage;
  if (parsed->help) {
    PrintHelp("features", "FILE --out OUT.npy [OPTIONS]",
              "Decodes FILE (any format FFmpeg reads) to mono at the preset's "
              "rate and writes its\nlog-mel spectrogram in dB as a float32 "
              "NumPy array of shape [n_mels, n_frames].",
              desc, "Presets:\n" + dsp::DescribePresets());
    return kExitOk;
  }
  const auto& vm = parsed->vm;
  if (!vm.count("file")) return UsageError("features", "no FILE given");
  if (!vm.count("out")) return UsageError("features", "--out is required");
  FeaturesOptions o;
  o.file = vm["file"].as<std::string>();
  o.out = vm["out"].as<std::string>();
  if (vm.count("save-audio")) o.save_audio = vm["save-audio"].as<std::string>();
  o.offset_seconds = vm["offset"].as<double>();
  o.max_seconds = vm["duration"].as<double>();
  o.json = vm.count("json") > 0;
  auto fe = FrontEndFromArgs(vm);
  if (!fe.ok()) return UsageError("features", fe.status().message());
  o.front_end = *fe;
  return Run(o);
}

}  // namespace mer::cli
