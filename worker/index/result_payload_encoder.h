// The worker's half of the kTrackResult payload: one analysed track as bytes
// for the coordinator. Format (and the decoder): coordinator/result_payload.h
//   u32 LE record length, storage TrackRecord protobuf, float32 embedding.
//
// Thread-safety: pure function.
#ifndef MER_WORKER_INDEX_RESULT_PAYLOAD_ENCODER_H_
#define MER_WORKER_INDEX_RESULT_PAYLOAD_ENCODER_H_

#include <string>

#include "storage/track_result.h"

namespace mer::worker {

std::string EncodeResultPayload(const storage::TrackResult& track);

}  // namespace mer::worker

#endif  // MER_WORKER_INDEX_RESULT_PAYLOAD_ENCODER_H_
