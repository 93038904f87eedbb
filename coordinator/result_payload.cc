#include "coordinator/result_payload.h"

#include <cstdint>

#include "common/core/coding.h"
#include "storage/record_codec.h"

namespace mer::coordinator {

core::Result<storage::TrackResult> DecodeResultPayload(
    std::string_view track_id, std::string_view payload) {
  if (payload.size() < 4) {
    return core::Status::Corruption(
        "result of track '" + std::string(track_id) + "'", "truncated");
  }
  const uint32_t n = core::DecodeFixed32(payload.data());
  if (payload.size() - 4 < n) {
    return core::Status::Corruption(
        "result of track '" + std::string(track_id) + "'",
        "record length exceeds the message");
  }
  storage::TrackResult t;
  t.track_id = std::string(track_id);
  MER_RETURN_IF_ERROR(
      storage::codec::DecodeTrack(track_id, payload.substr(4, n), &t));
  MER_ASSIGN_OR_RETURN(
      t.embedding,
      storage::codec::DecodeEmbedding(track_id, payload.substr(4 + n)));
  return t;
}

}  // namespace mer::coordinator
