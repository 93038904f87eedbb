#include "worker/result_payload_encoder.h"

#include <cstdint>

#include "storage/record_codec.h"

namespace mer::worker {

std::string EncodeResultPayload(const storage::TrackResult& track) {
  const std::string record = storage::codec::EncodeTrack(track);
  const std::string embedding = storage::codec::EncodeEmbedding(track.embedding);
  const auto n = static_cast<uint32_t>(record.size());
  std::string out;
  out.reserve(4 + record.size() + embedding.size());
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(n >> (8 * i)));
  out += record;
  out += embedding;
  return out;
}

}  // namespace mer::worker
