// mer features FILE --out OUT.npy: decode one file and write its log-mel
// spectrogram as a float32 .npy array of shape [n_mels, n_frames].
// With --descriptors, write the hand-crafted descriptors instead: a float32
// .npy [n_descriptors, n_frames] on the same frames, and OUT.json beside it
// with the row names, the parameters and the track statistics.
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/cli_util.h"
#include "cli/command.h"
#include "cli/front_end_options.h"
#include "common/audio/audio_decoder.h"
#include "common/core/atomic_file.h"
#include "common/core/npy.h"
#include "common/dsp/descriptor_extractor.h"
#include "common/dsp/descriptor_params.h"
#include "common/dsp/front_end_params.h"
#include "common/dsp/spectrogram.h"
#include "common/dsp/track_statistics.h"

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
  // Write descriptors (DescriptorExtractor) instead of the log-mel.
  // Default: false
  bool descriptors = false;
  dsp::DescriptorParams descriptor_params;
};

// OUT.npy -> OUT.json; any other name gets ".json" appended.
std::string SidecarPath(const std::string& out) {
  const std::string npy = ".npy";
  if (out.size() > npy.size() &&
      out.compare(out.size() - npy.size(), npy.size(), npy) == 0) {
    return out.substr(0, out.size() - npy.size()) + ".json";
  }
  return out + ".json";
}

core::Status WriteText(const std::string& path, const std::string& text) {
  MER_ASSIGN_OR_RETURN(core::AtomicFile f, core::AtomicFile::Create(path));
  MER_RETURN_IF_ERROR(f.Append(text));
  return f.Commit();
}

// The descriptors of `pcm` to o.out, their description to its sidecar.
// Returns the sidecar's JSON (for --json), or the error.
core::Result<nlohmann::json> WriteDescriptors(const FeaturesOptions& o,
                                              const std::vector<float>& pcm,
                                              double seconds) {
  dsp::DescriptorExtractor extractor(o.front_end, o.descriptor_params);
  const dsp::DescriptorMatrix m = extractor.Compute(pcm);
  if (m.n_frames == 0) {
    return core::Status::InvalidArgument(o.file, "too short for one frame");
  }
  MER_RETURN_IF_ERROR(core::WriteNpy(
      o.out, m.data.data(), {size_t(m.n_dims), size_t(m.n_frames)}));
  nlohmann::json j;
  j["path"] = o.file;
  j["npy"] = o.out;
  j["shape"] = {m.n_dims, m.n_frames};
  j["layout"] = "float32 [n_descriptors, n_frames], one row per name in rows";
  j["rows"] = dsp::DescriptorNames();
  j["seconds"] = seconds;
  j["frame_hop_seconds"] =
      static_cast<double>(o.front_end.hop_length) / o.front_end.sample_rate;
  j["front_end"] = o.front_end.ToJson();
  j["descriptor_params"] = o.descriptor_params.ToJson();
  j["statistics"] = {{"names", dsp::TrackStatisticNames()},
                     {"values", dsp::TrackStatistics(m)}};
  MER_RETURN_IF_ERROR(WriteText(SidecarPath(o.out), j.dump(1) + "\n"));
  return j;
}

// --save-audio, if given. kExitOk or kExitFailure (after printing).
int SaveAudio(const FeaturesOptions& o, const audio::DecodedAudio& audio) {
  if (o.save_audio.empty()) return kExitOk;
  if (auto s = core::WriteNpy(o.save_audio, audio.samples.data(),
                              {audio.samples.size()});
      !s.ok()) {
    PrintError("features", s.message());
    return kExitFailure;
  }
  return kExitOk;
}

int RunDescriptors(const FeaturesOptions& o, const audio::DecodedAudio& pcm) {
  const auto t0 = std::chrono::steady_clock::now();
  core::Result<nlohmann::json> j =
      WriteDescriptors(o, pcm.samples, pcm.seconds());
  if (!j.ok()) {
    PrintError("features", j.status().message());
    return kExitFailure;
  }
  if (int rc = SaveAudio(o, pcm); rc != kExitOk) return rc;
  const double s = std::chrono::duration<double>(
                       std::chrono::steady_clock::now() - t0)
                       .count();
  if (o.json) {
    nlohmann::json summary = *j;
    summary["sidecar"] = SidecarPath(o.out);
    summary["descriptor_seconds"] = s;
    std::cout << summary.dump() << "\n";
  } else {
    std::cout << o.out << ": float32 [" << (*j)["shape"][0].get<int>()
              << ", " << (*j)["shape"][1].get<int>()
              << "] (descriptors x frames) from " << pcm.seconds()
              << " s of audio; rows, parameters and track statistics in "
              << SidecarPath(o.out) << "; " << o.descriptor_params.Digest()
              << "\n";
  }
  return kExitOk;
}

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
  if (o.descriptors) return RunDescriptors(o, *audio);
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
  if (int rc = SaveAudio(o, *audio); rc != kExitOk) return rc;
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
      ("json", "print a JSON summary instead of a line of text")
      ("descriptors",
       "write hand-crafted emotion descriptors instead of the log-mel: OUT "
       "gets float32 [n_descriptors, n_frames] on the log-mel's frames, "
       "OUT.json (OUT less .npy) the row names, parameters and track "
       "statistics")
      ("descriptor-fmax", po::value<double>(),
       "with --descriptors: highest frequency any descriptor looks at (Hz, "
       "1000-48000; default 7500, a band that 22.05 kHz / 56 kbps MP3s and "
       "full-band audio share)");
  AddFrontEndOptions(desc);
  po::positional_options_description pos;
  pos.add("file", 1);
  auto parsed = ParseArgs(args, desc, hidden, pos);
  if (!parsed) return kExitUsage;
  if (parsed->help) {
    PrintHelp("features", "FILE --out OUT.npy [--descriptors] [OPTIONS]",
              "Decodes FILE (any format FFmpeg reads) to mono at the preset's "
              "rate and writes its\nlog-mel spectrogram in dB as a float32 "
              "NumPy array of shape [n_mels, n_frames].\n\n"
              "With --descriptors it writes instead the hand-crafted emotion "
              "descriptors on the\nsame frames, float32 [" +
                  std::to_string(dsp::kNumDescriptors) +
                  ", n_frames], and OUT.json beside OUT.npy: \"rows\" (the "
                  "row\nnames), the front end, the descriptor parameters "
                  "and \"statistics\" (per track:\nmean and std of every "
                  "row, rms_db.range = p95 - p5, tempo_bpm.median, key\n"
                  "clarity and mode of the mean chroma). Rows: "
                  "chroma_C..chroma_B, key_clarity,\nmode, tonal_0..5, "
                  "harmonic_change, dissonance, onset_strength, onset_rate,\n"
                  "tempo_bpm, pulse_clarity, rms_db, centroid_hz, spread_hz, "
                  "rolloff_hz, flatness,\nflux, contrast_0..6, mfcc_0..12, "
                  "zcr.",
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
  o.descriptors = vm.count("descriptors") > 0;
  auto fe = FrontEndFromArgs(vm);
  if (!fe.ok()) return UsageError("features", fe.status().message());
  o.front_end = *fe;
  if (vm.count("descriptor-fmax")) {
    if (!o.descriptors) {
      return UsageError("features", "--descriptor-fmax needs --descriptors");
    }
    o.descriptor_params.fmax = vm["descriptor-fmax"].as<double>();
  }
  if (o.descriptors) {
    if (auto s = o.descriptor_params.ValidateFor(o.front_end); !s.ok()) {
      return UsageError("features", "descriptor " + s.message());
    }
  }
  return Run(o);
}

}  // namespace mer::cli
