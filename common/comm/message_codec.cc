#include "common/comm/message_codec.h"

#include <limits>
#include <type_traits>
#include <utility>

#include "common/core/check.h"
#include "common/core/coding.h"

namespace mer::comm {

MessageTag TagOf(const WorkMessage& message) {
  return std::visit(
      [](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, RequestWork>) {
          return MessageTag::kRequestWork;
        } else if constexpr (std::is_same_v<T, WorkChunk>) {
          return MessageTag::kWorkChunk;
        } else if constexpr (std::is_same_v<T, NoMoreWork>) {
          return MessageTag::kNoMoreWork;
        } else if constexpr (std::is_same_v<T, TrackResult>) {
          return MessageTag::kTrackResult;
        } else if constexpr (std::is_same_v<T, TrackFailure>) {
          return MessageTag::kTrackFailure;
        } else if constexpr (std::is_same_v<T, WorkerDone>) {
          return MessageTag::kWorkerDone;
        } else {
          static_assert(std::is_same_v<T, Heartbeat>);
          return MessageTag::kHeartbeat;
        }
      },
      message);
}

namespace {

class Writer {
 public:
  void U8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void U32(uint32_t v) { core::PutFixed32(&out_, v); }
  void U64(uint64_t v) { core::PutFixed64(&out_, v); }
  void String(std::string_view s) {
    MER_CHECK_MSG(s.size() <= std::numeric_limits<uint32_t>::max(),
                  "MessageCodec: string over 4 GiB");
    U32(static_cast<uint32_t>(s.size()));
    out_.append(s);
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

// Reads from a byte range; the first failure sticks and later reads return
// zeros, so a decoder checks ok() once at the end of each message part.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  size_t remaining() const { return in_.size() - pos_; }
  uint8_t U8() { return Need(1) ? static_cast<uint8_t>(in_[pos_++]) : 0; }
  uint32_t U32() {
    if (!Need(4)) return 0;
    pos_ += 4;
    return core::DecodeFixed32(in_.data() + pos_ - 4);
  }
  uint64_t U64() {
    if (!Need(8)) return 0;
    pos_ += 8;
    return core::DecodeFixed64(in_.data() + pos_ - 8);
  }
  std::string String() {
    const uint32_t size = U32();
    if (!Need(size)) return {};
    std::string s(in_.substr(pos_, size));
    pos_ += size;
    return s;
  }

 private:
  bool Need(size_t n) {
    if (ok_ && remaining() >= n) return true;
    ok_ = false;
    return false;
  }
  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

core::Status Truncated(MessageTag tag) {
  return core::Status::Corruption(
      std::string("work message ") + std::string(MessageTagName(tag)),
      "truncated input");
}

}  // namespace

std::string MessageCodec::Encode(const WorkMessage& message) {
  Writer w;
  w.U8(kWireVersion);
  w.U8(static_cast<uint8_t>(TagOf(message)));
  std::visit(
      [&w](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, RequestWork>) {
          w.U32(m.capacity);
        } else if constexpr (std::is_same_v<T, WorkChunk>) {
          MER_CHECK(m.items.size() <= std::numeric_limits<uint32_t>::max());
          w.U32(static_cast<uint32_t>(m.items.size()));
          for (const WorkItem& item : m.items) {
            w.String(item.track_id);
            w.String(item.path);
            w.U64(item.seq);
          }
        } else if constexpr (std::is_same_v<T, NoMoreWork>) {
          // no body
        } else if constexpr (std::is_same_v<T, TrackResult>) {
          w.String(m.track_id);
          w.U64(m.seq);
          w.String(m.payload);
        } else if constexpr (std::is_same_v<T, TrackFailure>) {
          w.String(m.track_id);
          w.U64(m.seq);
          w.String(m.reason);
        } else if constexpr (std::is_same_v<T, WorkerDone>) {
          w.U64(m.tracks_ok);
          w.U64(m.tracks_failed);
          w.U64(m.cpu_ms);
        } else {
          w.String(m.host);
        }
      },
      message);
  return w.Take();
}

core::Result<WorkMessage> MessageCodec::Decode(std::string_view bytes) {
  Reader r(bytes);
  const uint8_t version = r.U8();
  const uint8_t raw_tag = r.U8();
  if (!r.ok()) {
    return core::Status::Corruption("work message",
                                    "shorter than its 2-byte header");
  }
  if (version != kWireVersion) {
    return core::Status::Corruption(
        "work message", "wire version " + std::to_string(version) +
                            ", expected " + std::to_string(kWireVersion));
  }
  const auto tag = static_cast<MessageTag>(raw_tag);
  WorkMessage message;
  switch (tag) {
    case MessageTag::kRequestWork:
      message = RequestWork{r.U32()};
      break;
    case MessageTag::kWorkChunk: {
      WorkChunk chunk;
      const uint32_t count = r.U32();
      // Each item takes at least 4 + 4 + 8 bytes: reject impossible counts
      // before reserving memory for them.
      if (!r.ok() || count > r.remaining() / 16) return Truncated(tag);
      chunk.items.reserve(count);
      for (uint32_t i = 0; i < count; ++i) {
        WorkItem item;
        item.track_id = r.String();
        item.path = r.String();
        item.seq = r.U64();
        chunk.items.push_back(std::move(item));
      }
      message = std::move(chunk);
      break;
    }
    case MessageTag::kNoMoreWork:
      message = NoMoreWork{};
      break;
    case MessageTag::kTrackResult: {
      TrackResult m;
      m.track_id = r.String();
      m.seq = r.U64();
      m.payload = r.String();
      message = std::move(m);
      break;
    }
    case MessageTag::kTrackFailure: {
      TrackFailure m;
      m.track_id = r.String();
      m.seq = r.U64();
      m.reason = r.String();
      message = std::move(m);
      break;
    }
    case MessageTag::kWorkerDone: {
      WorkerDone m;
      m.tracks_ok = r.U64();
      m.tracks_failed = r.U64();
      m.cpu_ms = r.U64();
      message = m;
      break;
    }
    case MessageTag::kHeartbeat:
      message = Heartbeat{r.String()};
      break;
    default:
      return core::Status::Corruption(
          "work message", "unknown message tag " + std::to_string(raw_tag));
  }
  if (!r.ok()) return Truncated(tag);
  if (r.remaining() != 0) {
    return core::Status::Corruption(
        std::string("work message ") + std::string(MessageTagName(tag)),
        std::to_string(r.remaining()) + " trailing bytes");
  }
  return message;
}

core::Result<WorkMessage> MessageCodec::Decode(std::string_view bytes,
                                               MessageTag expected) {
  MER_ASSIGN_OR_RETURN(WorkMessage message, Decode(bytes));
  if (TagOf(message) != expected) {
    return core::Status::Corruption(
        "work message",
        std::string("arrived as ") + std::string(MessageTagName(expected)) +
            " but holds " + std::string(MessageTagName(TagOf(message))));
  }
  return message;
}

}  // namespace mer::comm
