// EmotionIndex::CheckConsistency: recomputes from the track records what
// every secondary column family and counter must hold, and compares.
#include <algorithm>
#include <cmath>
#include <unordered_set>

#include "storage/emotion_index.h"
#include "storage/emotion_index_rep.h"
#include "storage/record_codec.h"

namespace mer::storage {
namespace {

core::Status Inconsistent(const std::string& dir, const std::string& why) {
  return core::Status::Corruption("index " + dir + " is inconsistent", why);
}

std::string Printable(std::string_view key) {
  std::string out;
  for (unsigned char c : key) {
    if (c >= 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
    } else {
      static const char* kHex = "0123456789abcdef";
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace

core::Status EmotionIndex::CheckConsistency() const {
  const Rep& rep = *rep_;
  MER_ASSIGN_OR_RETURN(proto::IndexCounters stored, rep.ReadCounters());
  proto::IndexCounters want;
  for (int q = 0; q < core::kNumQuadrants; ++q) want.add_per_quadrant(0);
  uint64_t want_keys[kNumCfs] = {};

  // 1. Every track's secondary keys exist and carry its values.
  auto expect = [&](Cf c, const std::string& key, const std::string& value,
                    std::string_view id) -> core::Status {
    ++want_keys[c];
    MER_ASSIGN_OR_RETURN(auto got, rep.Get(c, key));
    if (!got) {
      return Inconsistent(rep.dir, std::string(kCfNames[c]) + " key of '" +
                                       std::string(id) + "' missing");
    }
    if (*got != value) {
      return Inconsistent(rep.dir, std::string(kCfNames[c]) + " value of '" +
                                       std::string(id) + "' disagrees");
    }
    return core::Status::Ok();
  };
  auto tracks = rep.NewIterator(kCfTracks);
  for (tracks->SeekToFirst(); tracks->Valid(); tracks->Next()) {
    std::string_view id = tracks->key().ToStringView();
    MER_ASSIGN_OR_RETURN(
        proto::TrackRecord r,
        codec::ParseTrackRecord(id, tracks->value().ToStringView()));
    codec::SecondaryKeys k = codec::SecondaryKeysOf(id, r);
    MER_RETURN_IF_ERROR(expect(kCfByQuadrant, k.by_quadrant, k.value, id));
    MER_RETURN_IF_ERROR(expect(kCfByVa, k.by_va, k.value, id));
    for (const std::string& key : k.by_tag) {
      MER_RETURN_IF_ERROR(expect(kCfByTag, key, k.value, id));
    }
    want.set_tracks(want.tracks() + 1);
    int q = static_cast<int>(codec::HitOf(r).quadrant);
    want.set_per_quadrant(q, want.per_quadrant(q) + 1);
    want.set_duration_us(want.duration_us() +
                         std::llround(r.duration_seconds() * 1e6));
  }
  MER_RETURN_IF_ERROR(FromRocks(tracks->status(), "scan " + rep.dir));

  // 2. No other secondary keys: the counts match, and on a mismatch name an
  //    entry whose track does not own it.
  for (Cf c : {kCfByQuadrant, kCfByVa, kCfByTag}) {
    uint64_t n = 0;
    auto it = rep.NewIterator(c);
    for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
    MER_RETURN_IF_ERROR(FromRocks(it->status(), "scan " + rep.dir));
    if (n == want_keys[c]) continue;
    std::string example;
    for (it->SeekToFirst(); it->Valid() && example.empty(); it->Next()) {
      std::string_view key = it->key().ToStringView();
      std::string_view id;
      if (c == kCfByQuadrant) {
        if (auto p = keys::ParseQuadrantKey(key)) id = p->track_id;
      } else if (c == kCfByVa) {
        if (auto p = keys::ParseVaKey(key)) id = p->track_id;
      } else if (auto p = keys::ParseTagKey(key)) {
        id = p->track_id;
      }
      MER_ASSIGN_OR_RETURN(auto record, rep.Get(kCfTracks, id));
      bool owned = false;
      if (record) {
        MER_ASSIGN_OR_RETURN(proto::TrackRecord r,
                             codec::ParseTrackRecord(id, *record));
        codec::SecondaryKeys k = codec::SecondaryKeysOf(id, r);
        owned =
            key == k.by_quadrant || key == k.by_va ||
            std::find(k.by_tag.begin(), k.by_tag.end(), key) != k.by_tag.end();
      }
      if (!owned) example = Printable(key);
    }
    return Inconsistent(
        rep.dir, std::string(kCfNames[c]) + " holds " + std::to_string(n) +
                     " keys, the tracks own " + std::to_string(want_keys[c]) +
                     "; stray key: " + example);
  }

  // 3. Every embedding belongs to a track and has the recorded dimension.
  auto emb = rep.NewIterator(kCfEmbeddings);
  for (emb->SeekToFirst(); emb->Valid(); emb->Next()) {
    std::string_view id = emb->key().ToStringView();
    MER_ASSIGN_OR_RETURN(auto record, rep.Get(kCfTracks, id));
    if (!record) {
      return Inconsistent(
          rep.dir, "embedding of '" + std::string(id) + "' has no track");
    }
    if (emb->value().size() != stored.embedding_dim() * sizeof(float)) {
      return Inconsistent(
          rep.dir, "embedding of '" + std::string(id) + "' has the wrong size");
    }
  }
  MER_RETURN_IF_ERROR(FromRocks(emb->status(), "scan " + rep.dir));

  // 4. The counters equal a recount.
  auto failures = rep.NewIterator(kCfFailures);
  for (failures->SeekToFirst(); failures->Valid(); failures->Next()) {
    want.set_failures(want.failures() + 1);
  }
  MER_RETURN_IF_ERROR(FromRocks(failures->status(), "scan " + rep.dir));
  bool same = want.tracks() == stored.tracks() &&
              want.failures() == stored.failures() &&
              want.duration_us() == stored.duration_us();
  for (int q = 0; q < core::kNumQuadrants; ++q) {
    same = same && want.per_quadrant(q) == stored.per_quadrant(q);
  }
  if (!same) {
    return Inconsistent(rep.dir,
                        "counters say " + std::to_string(stored.tracks()) +
                            " tracks, " + std::to_string(stored.failures()) +
                            " failures; a recount finds " +
                            std::to_string(want.tracks()) + " and " +
                            std::to_string(want.failures()) +
                            " (or per-quadrant counts or durations differ)");
  }
  return core::Status::Ok();
}

}  // namespace mer::storage
