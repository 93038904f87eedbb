#include "common/dsp/front_end_params.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <set>

#include "common/core/digest.h"

namespace mer::dsp {
namespace {

constexpr int kMinSampleRate = 1000;
constexpr int kMaxSampleRate = 768000;
constexpr int kMinFft = 16;
constexpr int kMaxFft = 1 << 20;
constexpr double kMaxSegmentSeconds = 3600.0;

// Shortest text that reads back as the same value (std::to_chars): stable on
// every machine, "4.096" rather than "4.0960000000000001".
template <typename T>
std::string Num(T value) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), value);
  return std::string(buf, res.ptr);
}

std::string Printf(const char* fmt, double value) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), fmt, value);
  return buf;
}

core::Status Bad(std::string_view field, const std::string& value,
                 std::string_view why) {
  return core::Status::InvalidArgument(std::string(field) + " " + value, why);
}

}  // namespace

const char* MelScaleName(MelScale scale) {
  return scale == MelScale::kHtk ? "htk" : "slaney";
}
const char* MelNormName(MelNorm norm) {
  return norm == MelNorm::kNone ? "none" : "slaney";
}
const char* PadModeName(PadMode mode) {
  return mode == PadMode::kConstant ? "constant" : "reflect";
}

int FrontEndParams::SegmentFrames() const {
  return static_cast<int>(
      std::lround(segment_seconds * sample_rate / hop_length));
}

int FrontEndParams::SegmentHopFrames() const {
  return static_cast<int>(
      std::lround(segment_hop_seconds * sample_rate / hop_length));
}

core::Status FrontEndParams::Validate() const {
  if (sample_rate < kMinSampleRate || sample_rate > kMaxSampleRate) {
    return Bad("sample_rate", Num(sample_rate),
               "must be between 1000 and 768000 Hz");
  }
  if (n_fft < kMinFft || n_fft > kMaxFft) {
    return Bad("n_fft", Num(n_fft), "must be between 16 and 1048576");
  }
  if (win_length < 0 || win_length > n_fft) {
    return Bad(
        "win_length", Num(win_length),
        "must be between 1 and n_fft " + Num(n_fft) + " (0 means n_fft)");
  }
  if (hop_length < 1) {
    return Bad("hop_length", Num(hop_length), "must be at least 1");
  }
  if (n_mels < 1 || n_mels > 4096) {
    return Bad("n_mels", Num(n_mels), "must be between 1 and 4096");
  }
  const float nyquist = static_cast<float>(sample_rate) / 2.0f;
  if (!std::isfinite(fmax) || fmax < 0.0f || fmax > nyquist) {
    return Bad("fmax", Num(fmax),
               "must be at most sample_rate / 2 = " + Num(nyquist) +
                   " Hz (0 means sample_rate / 2)");
  }
  if (!std::isfinite(fmin) || fmin < 0.0f || fmin >= EffectiveFmax()) {
    return Bad("fmin", Num(fmin),
               "must be >= 0 and below fmax " + Num(EffectiveFmax()) + " Hz");
  }
  if (mel_scale != MelScale::kSlaney && mel_scale != MelScale::kHtk) {
    return Bad("mel_scale", Num(static_cast<int>(mel_scale)),
               "must be slaney or htk");
  }
  if (mel_norm != MelNorm::kSlaney && mel_norm != MelNorm::kNone) {
    return Bad("mel_norm", Num(static_cast<int>(mel_norm)),
               "must be slaney or none");
  }
  if (pad_mode != PadMode::kReflect && pad_mode != PadMode::kConstant) {
    return Bad("pad_mode", Num(static_cast<int>(pad_mode)),
               "must be reflect or constant");
  }
  if (!std::isfinite(top_db)) {
    return Bad("top_db", Num(top_db), "must be a finite number (<= 0: off)");
  }
  if (!std::isfinite(segment_seconds) || segment_seconds <= 0.0 ||
      segment_seconds > kMaxSegmentSeconds) {
    return Bad("segment_seconds", Num(segment_seconds),
               "must be above 0 and at most 3600");
  }
  if (SegmentFrames() < 1) {
    return Bad("segment_seconds", Num(segment_seconds),
               "must be at least one hop (" +
                   Num(static_cast<double>(hop_length) / sample_rate) + " s)");
  }
  if (!std::isfinite(segment_hop_seconds) || segment_hop_seconds <= 0.0) {
    return Bad("segment_hop_seconds", Num(segment_hop_seconds),
               "must be above 0");
  }
  if (SegmentHopFrames() < 1) {
    return Bad("segment_hop_seconds", Num(segment_hop_seconds),
               "must be at least one hop (" +
                   Num(static_cast<double>(hop_length) / sample_rate) + " s)");
  }
  if (SegmentHopFrames() > SegmentFrames()) {
    return Bad("segment_hop_seconds", Num(segment_hop_seconds),
               "must not exceed segment_seconds " + Num(segment_seconds) +
                   " (audio between segments would be skipped)");
  }
  return core::Status::Ok();
}

std::string FrontEndParams::Canonical() const {
  std::string s = "fe1";
  auto add = [&s](const char* key, const std::string& value) {
    s += ';';
    s += key;
    s += '=';
    s += value;
  };
  add("sample_rate", Num(sample_rate));
  add("n_fft", Num(n_fft));
  add("win_length", Num(EffectiveWinLength()));
  add("hop_length", Num(hop_length));
  add("n_mels", Num(n_mels));
  add("fmin", Num(fmin));
  add("fmax", Num(EffectiveFmax()));
  add("mel_scale", MelScaleName(mel_scale));
  add("mel_norm", MelNormName(mel_norm));
  add("center", center ? "true" : "false");
  add("pad_mode", PadModeName(pad_mode));
  add("top_db", Num(top_db > 0.0f ? top_db : 0.0f));
  add("segment_seconds", Num(segment_seconds));
  add("segment_hop_seconds", Num(segment_hop_seconds));
  return s;
}

std::string FrontEndParams::Digest() const {
  return "fe1-" + core::DigestHex(Canonical());
}

nlohmann::json FrontEndParams::ToJson() const {
  nlohmann::json j;
  j["sample_rate"] = sample_rate;
  j["n_fft"] = n_fft;
  j["win_length"] = win_length;
  j["hop_length"] = hop_length;
  j["n_mels"] = n_mels;
  j["fmin"] = fmin;
  j["fmax"] = fmax;
  j["mel_scale"] = MelScaleName(mel_scale);
  j["mel_norm"] = MelNormName(mel_norm);
  j["center"] = center;
  j["pad_mode"] = PadModeName(pad_mode);
  j["top_db"] = top_db;
  j["segment_seconds"] = segment_seconds;
  j["segment_hop_seconds"] = segment_hop_seconds;
  j["digest"] = Digest();
  return j;
}

core::Result<FrontEndParams> FrontEndParams::FromJson(const nlohmann::json& j) {
  constexpr const char* kWhat = "front-end params";
  if (!j.is_object()) {
    return core::Status::InvalidArgument(kWhat, "expected a JSON object");
  }
  static const std::set<std::string> kKnown = {"sample_rate",
                                               "n_fft",
                                               "win_length",
                                               "hop_length",
                                               "n_mels",
                                               "fmin",
                                               "fmax",
                                               "mel_scale",
                                               "mel_norm",
                                               "center",
                                               "pad_mode",
                                               "top_db",
                                               "segment_seconds",
                                               "segment_hop_seconds",
                                               "digest"};
  for (const auto& item : j.items()) {
    if (!kKnown.count(item.key())) {
      return core::Status::InvalidArgument(
          kWhat, "unknown key \"" + item.key() + "\"");
    }
  }
  auto field = [&](const char* key) -> core::Result<const nlohmann::json*> {
    auto it = j.find(key);
    if (it == j.end()) {
      return core::Status::InvalidArgument(
          kWhat, std::string("missing key \"") + key + "\"");
    }
    return &*it;
  };
  auto type_error = [&](const char* key, const char* want) {
    return core::Status::InvalidArgument(
        kWhat, std::string("\"") + key + "\" must be " + want);
  };
  FrontEndParams p;
  for (auto [key, out] : {std::pair{"sample_rate", &p.sample_rate},
                          {"n_fft", &p.n_fft},
                          {"win_length", &p.win_length},
                          {"hop_length", &p.hop_length},
                          {"n_mels", &p.n_mels}}) {
    MER_ASSIGN_OR_RETURN(const nlohmann::json* v, field(key));
    if (!v->is_number_integer()) return type_error(key, "an integer");
    const int64_t n = v->get<int64_t>();
    if (n < std::numeric_limits<int>::min() ||
        n > std::numeric_limits<int>::max()) {
      return type_error(key, "a 32-bit integer");
    }
    *out = static_cast<int>(n);
  }
  for (auto [key, out] :
       {std::pair{"fmin", &p.fmin}, {"fmax", &p.fmax}, {"top_db", &p.top_db}}) {
    MER_ASSIGN_OR_RETURN(const nlohmann::json* v, field(key));
    if (!v->is_number()) return type_error(key, "a number");
    *out = v->get<float>();
  }
  for (auto [key, out] : {std::pair{"segment_seconds", &p.segment_seconds},
                          {"segment_hop_seconds", &p.segment_hop_seconds}}) {
    MER_ASSIGN_OR_RETURN(const nlohmann::json* v, field(key));
    if (!v->is_number()) return type_error(key, "a number");
    *out = v->get<double>();
  }
  {
    MER_ASSIGN_OR_RETURN(const nlohmann::json* v, field("center"));
    if (!v->is_boolean()) return type_error("center", "true or false");
    p.center = v->get<bool>();
  }
  auto name = [&](const char* key, const char* a, const char* b,
                  const char* want) -> core::Result<bool> {
    MER_ASSIGN_OR_RETURN(const nlohmann::json* v, field(key));
    if (v->is_string()) {
      const std::string s = v->get<std::string>();
      if (s == a) return true;
      if (s == b) return false;
    }
    return type_error(key, want);
  };
  MER_ASSIGN_OR_RETURN(bool slaney_scale, name("mel_scale", "slaney", "htk",
                                               "\"slaney\" or \"htk\""));
  p.mel_scale = slaney_scale ? MelScale::kSlaney : MelScale::kHtk;
  MER_ASSIGN_OR_RETURN(bool slaney_norm, name("mel_norm", "slaney", "none",
                                              "\"slaney\" or \"none\""));
  p.mel_norm = slaney_norm ? MelNorm::kSlaney : MelNorm::kNone;
  MER_ASSIGN_OR_RETURN(bool reflect, name("pad_mode", "reflect", "constant",
                                          "\"reflect\" or \"constant\""));
  p.pad_mode = reflect ? PadMode::kReflect : PadMode::kConstant;

  MER_RETURN_IF_ERROR(p.Validate().WithContext(kWhat));
  if (auto it = j.find("digest"); it != j.end()) {
    if (!it->is_string()) return type_error("digest", "a string");
    const std::string digest = it->get<std::string>();
    if (digest != p.Digest()) {
      return core::Status::InvalidArgument(
          kWhat, "digest " + digest + " does not match the fields (" +
                     p.Digest() + ")");
    }
  }
  return p;
}

std::string FrontEndParams::Describe() const {
  std::string s = Num(sample_rate) + " Hz, n_fft " + Num(n_fft);
  if (EffectiveWinLength() != n_fft) s += ", win " + Num(win_length);
  s += ", hop " + Num(hop_length) + " (" +
       Printf("%.3g", 1000.0 * hop_length / sample_rate) + " ms), ";
  s += Num(n_mels) + " mels " + MelScaleName(mel_scale) + "/" +
       MelNormName(mel_norm) + ", ";
  s += Printf("%g", fmin) + "-" + Printf("%g", EffectiveFmax()) + " Hz";
  if (!center) {
    s += ", not centred";
  } else if (pad_mode != PadMode::kReflect) {
    s += std::string(", ") + PadModeName(pad_mode) + " padding";
  }
  if (top_db > 0.0f) s += ", top_db " + Printf("%g", top_db);
  s += ", segments " + Printf("%g", segment_seconds) + " s / hop " +
       Printf("%g", segment_hop_seconds) + " s";
  return s;
}

}  // namespace mer::dsp
