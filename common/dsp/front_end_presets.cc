// The named FrontEndParams sets (declared in front_end_params.h).
#include <string>

#include "common/dsp/front_end_params.h"

namespace mer::dsp {
namespace {

FrontEndParams DefaultPreset() {
  FrontEndParams
      p;  // the struct's defaults are this preset, fmax made explicit
  p.fmax = 8000.0f;
  return p;
}

// librosa.feature.melspectrogram(sr=22050) defaults: n_fft 2048, hop 512,
// 128 Slaney mels with Slaney norm, fmax sr / 2, centred reflect padding
// (librosa < 0.10; 0.10 switched to constant).
FrontEndParams LibrosaPreset() {
  FrontEndParams p;
  p.sample_rate = 22050;
  p.n_fft = 2048;
  p.hop_length = 512;
  p.n_mels = 128;
  p.fmax = 11025.0f;
  p.segment_seconds = 3.0;
  p.segment_hop_seconds = 1.5;
  return p;
}

// The seed CRNN paper (2019): 44.1 kHz, frames of 256 samples, hop 128, 96 mel
// bands, inputs of 96 x 1366 frames (the segment is exactly 1366 hops).
// With 172 Hz bins, 18 of the 96 narrow low filters cover no bin and stay at
// the -100 dB floor (torchaudio warns about the same); kept as published.
FrontEndParams Paper2019Preset() {
  FrontEndParams p;
  p.sample_rate = 44100;
  p.n_fft = 256;
  p.hop_length = 128;
  p.n_mels = 96;
  p.fmax = 22050.0f;
  p.segment_seconds = 1366.0 * 128.0 / 44100.0;
  p.segment_hop_seconds = 1366.0 * 128.0 / 44100.0;
  return p;
}

std::string Join(const std::vector<std::string>& names) {
  std::string s;
  for (const std::string& n : names) s += (s.empty() ? "" : ", ") + n;
  return s;
}

}  // namespace

const std::vector<std::string>& PresetNames() {
  static const std::vector<std::string> kNames = {"default", "librosa",
                                                  "paper2019"};
  return kNames;
}

core::Result<FrontEndParams> PresetParams(std::string_view name) {
  if (name == "default") return DefaultPreset();
  if (name == "librosa") return LibrosaPreset();
  if (name == "paper2019") return Paper2019Preset();
  return core::Status::InvalidArgument(
      "front-end preset \"" + std::string(name) + "\"",
      "unknown; valid presets: " + Join(PresetNames()));
}

std::string DescribePresets() {
  std::string s;
  for (const std::string& name : PresetNames()) {
    const FrontEndParams p = *PresetParams(name);
    s += name + ": " + p.Describe() + "\n";
    // Every field as Canonical() spells it ("fe1;key=value;..."), wrapped.
    const std::string canonical = p.Canonical();
    std::string line;
    size_t pos = canonical.find(';');
    while (pos != std::string::npos) {
      const size_t next = canonical.find(';', pos + 1);
      const std::string field = canonical.substr(
          pos + 1, next == std::string::npos ? next : next - pos - 1);
      if (!line.empty() && line.size() + 1 + field.size() > 76) {
        s += "  " + line + "\n";
        line.clear();
      }
      line += (line.empty() ? "" : " ") + field;
      pos = next;
    }
    s += "  " + line + "\n";
    s += "  segments of " + std::to_string(p.SegmentFrames()) +
         " frames every " + std::to_string(p.SegmentHopFrames()) +
         " frames; digest " + p.Digest() + "\n";
  }
  return s;
}

}  // namespace mer::dsp
