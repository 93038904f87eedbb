// The payload of a kTrackResult message (common/comm/work_messages.h): one
// analysed track as the worker sends it and the coordinator writes it.
//
//   u32 little-endian  n = length of the TrackRecord bytes
//   n bytes            storage TrackRecord protobuf (storage/record_codec.h,
//                      EncodeTrack: everything but the id and embedding)
//   rest               the embedding, float32 little-endian (EncodeEmbedding)
// The track id travels in the message itself. The worker's encoder is
// worker/result_payload_encoder.h; this is the coordinator's decoder.
//
// Thread-safety: pure function.
#ifndef MER_COORDINATOR_RESULT_PAYLOAD_H_
#define MER_COORDINATOR_RESULT_PAYLOAD_H_

#include <string>
#include <string_view>

#include "common/core/result.h"
#include "storage/track_result.h"

namespace mer::coordinator {

// Corruption naming the track when the payload is truncated or does not
// parse.
core::Result<storage::TrackResult> DecodeResultPayload(
    std::string_view track_id, std::string_view payload);

}  // namespace mer::coordinator

#endif  // MER_COORDINATOR_RESULT_PAYLOAD_H_
