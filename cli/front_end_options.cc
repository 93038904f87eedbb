#include "cli/front_end_options.h"

#include <string>

namespace mer::cli {

void AddFrontEndOptions(po::options_description& options) {
  po::options_description fe("Front end (a preset, then overrides)");
  fe.add_options()
      ("preset", po::value<std::string>()->default_value("default"),
       "default, librosa or paper2019 (see below)")
      ("sample-rate", po::value<int>(), "resample to this rate (Hz)")
      ("n-fft", po::value<int>(), "FFT size (samples)")
      ("win-length", po::value<int>(), "window length (samples, <= n-fft)")
      ("hop", po::value<int>(), "hop between frames (samples)")
      ("n-mels", po::value<int>(), "number of mel bands")
      ("fmin", po::value<float>(), "lowest mel band edge (Hz)")
      ("fmax", po::value<float>(), "highest mel band edge (Hz; 0 = Nyquist)")
      ("mel-scale", po::value<std::string>(), "slaney or htk")
      ("mel-norm", po::value<std::string>(), "slaney or none")
      ("pad-mode", po::value<std::string>(),
       "reflect or constant (padding for centred frames)")
      ("no-center", "frames start at sample 0 instead of being centred")
      ("top-db", po::value<float>(),
       "clamp to max - TOP_DB dB per spectrogram (0 = off)");
  options.add(fe);
}

core::Result<dsp::FrontEndParams> FrontEndFromArgs(
    const po::variables_map& vm) {
  MER_ASSIGN_OR_RETURN(dsp::FrontEndParams p,
                       dsp::PresetParams(vm["preset"].as<std::string>()));
  if (vm.count("sample-rate")) p.sample_rate = vm["sample-rate"].as<int>();
  if (vm.count("n-fft")) p.n_fft = vm["n-fft"].as<int>();
  if (vm.count("win-length")) p.win_length = vm["win-length"].as<int>();
  if (vm.count("hop")) p.hop_length = vm["hop"].as<int>();
  if (vm.count("n-mels")) p.n_mels = vm["n-mels"].as<int>();
  if (vm.count("fmin")) p.fmin = vm["fmin"].as<float>();
  if (vm.count("fmax")) p.fmax = vm["fmax"].as<float>();
  if (vm.count("top-db")) p.top_db = vm["top-db"].as<float>();
  if (vm.count("no-center")) p.center = false;
  if (vm.count("mel-scale")) {
    const auto& s = vm["mel-scale"].as<std::string>();
    if (s == "slaney") {
      p.mel_scale = dsp::MelScale::kSlaney;
    } else if (s == "htk") {
      p.mel_scale = dsp::MelScale::kHtk;
    } else {
      return core::Status::InvalidArgument("--mel-scale '" + s + "'",
                                           "expected slaney or htk");
    }
  }
  if (vm.count("mel-norm")) {
    const auto& s = vm["mel-norm"].as<std::string>();
    if (s == "slaney") {
      p.mel_norm = dsp::MelNorm::kSlaney;
    } else if (s == "none") {
      p.mel_norm = dsp::MelNorm::kNone;
    } else {
      return core::Status::InvalidArgument("--mel-norm '" + s + "'",
                                           "expected slaney or none");
    }
  }
  if (vm.count("pad-mode")) {
    const auto& s = vm["pad-mode"].as<std::string>();
    if (s == "reflect") {
      p.pad_mode = dsp::PadMode::kReflect;
    } else if (s == "constant") {
      p.pad_mode = dsp::PadMode::kConstant;
    } else {
      return core::Status::InvalidArgument("--pad-mode '" + s + "'",
                                           "expected reflect or constant");
    }
  }
  MER_RETURN_IF_ERROR(p.Validate());
  return p;
}

}  // namespace mer::cli
