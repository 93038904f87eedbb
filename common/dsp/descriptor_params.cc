#include "common/dsp/descriptor_params.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>
#include <utility>
#include <vector>

#include "common/core/digest.h"

namespace mer::dsp {
namespace {

// Shortest text that reads back as the same value (std::to_chars).
template <typename T>
std::string Num(T value) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), value);
  return std::string(buf, res.ptr);
}

core::Status Bad(std::string_view field, const std::string& value,
                 std::string_view why) {
  return core::Status::InvalidArgument(std::string(field) + " " + value, why);
}

// A double field with its name, for the generic loops below.
struct DoubleField {
  const char* name;
  double DescriptorParams::*member;
};
constexpr DoubleField kDoubleFields[] = {
    {"fmax", &DescriptorParams::fmax},
    {"floor_db", &DescriptorParams::floor_db},
    {"chroma_fmin", &DescriptorParams::chroma_fmin},
    {"chroma_fmax", &DescriptorParams::chroma_fmax},
    {"cq_threshold", &DescriptorParams::cq_threshold},
    {"chroma_step_seconds", &DescriptorParams::chroma_step_seconds},
    {"key_window_seconds", &DescriptorParams::key_window_seconds},
    {"harmonic_change_smoothing_seconds",
     &DescriptorParams::harmonic_change_smoothing_seconds},
    {"onset_top_db", &DescriptorParams::onset_top_db},
    {"onset_sensitivity", &DescriptorParams::onset_sensitivity},
    {"onset_rate_window_seconds", &DescriptorParams::onset_rate_window_seconds},
    {"pulse_window_seconds", &DescriptorParams::pulse_window_seconds},
    {"pulse_step_seconds", &DescriptorParams::pulse_step_seconds},
    {"pulse_min_bpm", &DescriptorParams::pulse_min_bpm},
    {"pulse_max_bpm", &DescriptorParams::pulse_max_bpm},
    {"rolloff_fraction", &DescriptorParams::rolloff_fraction},
    {"contrast_quantile", &DescriptorParams::contrast_quantile},
};
constexpr const char* kMaxPeaks = "dissonance_max_peaks";

// lo < v <= hi (open_lo) or lo <= v <= hi.
bool InRange(double v, double lo, double hi, bool open_lo) {
  if (!std::isfinite(v)) return false;
  return (open_lo ? v > lo : v >= lo) && v <= hi;
}

}  // namespace

core::Status DescriptorParams::Validate() const {
  struct Rule {
    const char* name;
    double value, lo, hi;
    bool open_lo;
    const char* why;
  };
  const Rule rules[] = {
      {"fmax", fmax, 1000, 48000, false, "must be between 1000 and 48000 Hz"},
      {"floor_db", floor_db, 0, 200, true, "must be above 0 and at most 200"},
      {"chroma_fmin", chroma_fmin, 20, 20000, false,
       "must be between 20 and 20000 Hz"},
      {"chroma_fmax", chroma_fmax, 40, 40000, false,
       "must be between 40 and 40000 Hz"},
      {"cq_threshold", cq_threshold, 0, 0.5, true,
       "must be above 0 and at most 0.5"},
      {"chroma_step_seconds", chroma_step_seconds, 0, 2, true,
       "must be above 0 and at most 2"},
      {"key_window_seconds", key_window_seconds, 0, 60, true,
       "must be above 0 and at most 60"},
      {"harmonic_change_smoothing_seconds", harmonic_change_smoothing_seconds,
       0, 10, false, "must be between 0 and 10"},
      {"onset_top_db", onset_top_db, 0, 200, true,
       "must be above 0 and at most 200"},
      {"onset_sensitivity", onset_sensitivity, 0, 100, false,
       "must be between 0 and 100"},
      {"onset_rate_window_seconds", onset_rate_window_seconds, 0, 60, true,
       "must be above 0 and at most 60"},
      {"pulse_window_seconds", pulse_window_seconds, 0, 60, true,
       "must be above 0 and at most 60"},
      {"pulse_step_seconds", pulse_step_seconds, 0, 10, true,
       "must be above 0 and at most 10"},
      {"pulse_min_bpm", pulse_min_bpm, 10, 1000, false,
       "must be between 10 and 1000"},
      {"pulse_max_bpm", pulse_max_bpm, 10, 1000, false,
       "must be between 10 and 1000"},
      {"rolloff_fraction", rolloff_fraction, 0, 1, true,
       "must be above 0 and below 1"},
      {"contrast_quantile", contrast_quantile, 0, 0.5, true,
       "must be above 0 and below 0.5"},
  };
  for (const Rule& r : rules) {
    if (!InRange(r.value, r.lo, r.hi, r.open_lo)) {
      return Bad(r.name, Num(r.value), r.why);
    }
  }
  if (rolloff_fraction >= 1.0) {
    return Bad("rolloff_fraction", Num(rolloff_fraction), "must be below 1");
  }
  if (contrast_quantile >= 0.5) {
    return Bad("contrast_quantile", Num(contrast_quantile),
               "must be below 0.5");
  }
  if (chroma_fmax < 2.0 * chroma_fmin) {
    return Bad("chroma_fmax", Num(chroma_fmax),
               "must be at least one octave above chroma_fmin " +
                   Num(chroma_fmin) + " Hz");
  }
  if (pulse_min_bpm >= pulse_max_bpm) {
    return Bad("pulse_min_bpm", Num(pulse_min_bpm),
               "must be below pulse_max_bpm " + Num(pulse_max_bpm));
  }
  if (dissonance_max_peaks < 2 || dissonance_max_peaks > 256) {
    return Bad(kMaxPeaks, Num(dissonance_max_peaks),
               "must be between 2 and 256");
  }
  return core::Status::Ok();
}

double DescriptorParams::EffectiveFmax(const FrontEndParams& fe) const {
  return std::min(fmax, fe.sample_rate / 2.0);
}

core::Status DescriptorParams::ValidateFor(const FrontEndParams& fe) const {
  MER_RETURN_IF_ERROR(Validate());
  MER_RETURN_IF_ERROR(fe.Validate());
  const double top = std::min(chroma_fmax, EffectiveFmax(fe));
  if (top < 2.0 * chroma_fmin) {
    return Bad("chroma_fmin", Num(chroma_fmin),
               "needs one octave below min(chroma_fmax, fmax, sample_rate / "
               "2) = " +
                   Num(top) + " Hz");
  }
  return core::Status::Ok();
}

std::string DescriptorParams::Canonical() const {
  std::string s = "ds1";
  for (const DoubleField& f : kDoubleFields) {
    s += std::string(";") + f.name + "=" + Num(this->*f.member);
  }
  s += std::string(";") + kMaxPeaks + "=" + Num(dissonance_max_peaks);
  return s;
}

std::string DescriptorParams::Digest() const {
  return "ds1-" + core::DigestHex(Canonical());
}

nlohmann::json DescriptorParams::ToJson() const {
  nlohmann::json j;
  for (const DoubleField& f : kDoubleFields) j[f.name] = this->*f.member;
  j[kMaxPeaks] = dissonance_max_peaks;
  j["digest"] = Digest();
  return j;
}

core::Result<DescriptorParams> DescriptorParams::FromJson(
    const nlohmann::json& j) {
  constexpr const char* kWhat = "descriptor params";
  if (!j.is_object()) {
    return core::Status::InvalidArgument(kWhat, "expected a JSON object");
  }
  std::set<std::string> known = {kMaxPeaks, "digest"};
  for (const DoubleField& f : kDoubleFields) known.insert(f.name);
  for (const auto& item : j.items()) {
    if (!known.count(item.key())) {
      return core::Status::InvalidArgument(
          kWhat, "unknown key \"" + item.key() + "\"");
    }
  }
  DescriptorParams p;
  for (const DoubleField& f : kDoubleFields) {
    auto it = j.find(f.name);
    if (it == j.end()) {
      return core::Status::InvalidArgument(
          kWhat, std::string("missing key \"") + f.name + "\"");
    }
    if (!it->is_number()) {
      return core::Status::InvalidArgument(
          kWhat, std::string("\"") + f.name + "\" must be a number");
    }
    p.*f.member = it->get<double>();
  }
  auto it = j.find(kMaxPeaks);
  if (it == j.end()) {
    return core::Status::InvalidArgument(
        kWhat, std::string("missing key \"") + kMaxPeaks + "\"");
  }
  if (!it->is_number_integer() || it->get<int64_t>() < 0 ||
      it->get<int64_t>() > 1 << 20) {
    return core::Status::InvalidArgument(
        kWhat, std::string("\"") + kMaxPeaks + "\" must be an integer");
  }
  p.dissonance_max_peaks = static_cast<int>(it->get<int64_t>());
  MER_RETURN_IF_ERROR(p.Validate().WithContext(kWhat));
  if (auto d = j.find("digest"); d != j.end()) {
    if (!d->is_string()) {
      return core::Status::InvalidArgument(kWhat,
                                           "\"digest\" must be a string");
    }
    if (d->get<std::string>() != p.Digest()) {
      return core::Status::InvalidArgument(
          kWhat, "digest " + d->get<std::string>() +
                     " does not match the fields (" + p.Digest() + ")");
    }
  }
  return p;
}

}  // namespace mer::dsp
