#include "worker/index/result_payload_encoder.h"

#include <cstdint>

#include "common/core/coding.h"
#include "storage/record_codec.h"

namespace mer::worker {

std::string EncodeResultPayload(const storage::TrackResult& track) {
  const std::string record = storage::codec::EncodeTrack(track);
  const std::string embedding = storage::codec::EncodeEmbedding(track.embedding);
  std::string out;
  out.reserve(4 + record.size() + embedding.size());
  core::PutFixed32(&out, static_cast<uint32_t>(record.size()));
  out += record;
  out += embedding;
  return out;
}

}  // namespace mer::worker
