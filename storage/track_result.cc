#include "storage/track_result.h"

#include <cmath>
#include <string_view>

namespace mer::storage {

core::Quadrant TrackResult::quadrant() const {
  int best = 0;
  for (int i = 1; i < 4; ++i) {
    if (quadrant_probs[i] > quadrant_probs[best]) best = i;
  }
  return static_cast<core::Quadrant>(best);
}

float TrackResult::confidence() const {
  return quadrant_probs[static_cast<int>(quadrant())];
}

core::Status TrackResult::Validate() const {
  auto bad = [&](std::string_view why) {
    return core::Status::InvalidArgument(
        "track '" + track_id + "' (" + path + ")", why);
  };
  if (track_id.empty()) {
    return core::Status::InvalidArgument("track result for '" + path + "'",
                                         "empty track id");
  }
  if (!std::isfinite(duration_seconds) || duration_seconds < 0) {
    return bad("duration is negative or not finite");
  }
  if (!std::isfinite(valence) || !std::isfinite(arousal)) {
    return bad("valence or arousal is not finite");
  }
  for (float p : quadrant_probs) {
    if (!std::isfinite(p) || p < 0 || p > 1) {
      return bad("a quadrant probability is outside [0, 1]");
    }
  }
  for (float x : embedding) {
    if (!std::isfinite(x)) return bad("embedding holds a NaN or infinity");
  }
  for (const TimelinePoint& t : timeline) {
    if (!std::isfinite(t.start_seconds) || !std::isfinite(t.valence) ||
        !std::isfinite(t.arousal)) {
      return bad("timeline holds a NaN or infinity");
    }
  }
  for (size_t i = 0; i < tags.size(); ++i) {
    const auto& [tag, score] = tags[i];
    for (size_t j = 0; j < i; ++j) {
      if (tags[j].first == tag) return bad("tag '" + tag + "' appears twice");
    }
    if (tag.empty() || tag.find('\0') != std::string::npos) {
      return bad("a tag is empty or holds a NUL byte");
    }
    if (!std::isfinite(score)) return bad("tag '" + tag + "' score not finite");
  }
  return core::Status::Ok();
}

core::Status FailureRecord::Validate() const {
  if (track_id.empty()) {
    return core::Status::InvalidArgument("failure record for '" + path + "'",
                                         "empty track id");
  }
  return core::Status::Ok();
}

}  // namespace mer::storage
