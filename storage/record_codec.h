// Conversions between the plain structs of track_result.h and the protobuf
// records stored in RocksDB (proto/index_records.proto), and the secondary
// keys a track owns. Internal to mer_storage.
#ifndef MER_STORAGE_RECORD_CODEC_H_
#define MER_STORAGE_RECORD_CODEC_H_

#include <string>
#include <string_view>
#include <vector>

#include "common/core/result.h"
#include "proto/index_records.pb.h"
#include "storage/index_keys.h"
#include "storage/track_result.h"

namespace mer::storage::codec {

std::string EncodeTrack(const TrackResult& t);  // TrackRecord bytes
// Fills every field but track_id and embedding. Corruption names the track.
core::Status DecodeTrack(std::string_view id, std::string_view bytes,
                         TrackResult* out);
core::Result<proto::TrackRecord> ParseTrackRecord(std::string_view id,
                                                  std::string_view bytes);

std::string EncodeFailure(const FailureRecord& f);
core::Result<FailureRecord> DecodeFailure(std::string_view id,
                                          std::string_view bytes);

// float32, little-endian, no header.
std::string EncodeEmbedding(const std::vector<float>& v);
core::Result<std::vector<float>> DecodeEmbedding(std::string_view id,
                                                 std::string_view bytes);

// V, A, confidence and quadrant of a record, as TrackResult computes them.
keys::HitValue HitOf(const proto::TrackRecord& r);

// The secondary keys (and their common value) a track record owns.
struct SecondaryKeys {
  std::string by_quadrant;
  std::string by_va;
  std::vector<std::string> by_tag;
  std::string value;  // keys::EncodeHitValue
};
SecondaryKeys SecondaryKeysOf(const TrackResult& t);
SecondaryKeys SecondaryKeysOf(std::string_view id, const proto::TrackRecord& r);

}  // namespace mer::storage::codec

#endif  // MER_STORAGE_RECORD_CODEC_H_
