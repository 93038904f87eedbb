// MessageCodec: the wire form of WorkMessage (work_messages.h). Plain
// length-prefixed binary, little-endian, no dependencies:
//
//   byte 0      format version (kWireVersion)
//   byte 1      MessageTag of the message
//   body        per message, fields in declaration order:
//                 u32 / u64  fixed-width little-endian integers
//                 string     u32 byte length, then the bytes
//                 WorkChunk  u32 item count, then per item
//                            string track_id, string path, u64 seq
//
// Decode rejects (Status Corruption) an unknown version or tag, truncated
// input, counts that cannot fit in the input, and trailing bytes.
//
// Thread-safety: stateless; all functions may be called from any thread.
#ifndef MER_COMMON_COMM_MESSAGE_CODEC_H_
#define MER_COMMON_COMM_MESSAGE_CODEC_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "common/comm/work_messages.h"
#include "common/core/result.h"

namespace mer::comm {

class MessageCodec {
 public:
  static constexpr uint8_t kWireVersion = 1;

  // Serialises `message`. Strings and chunks over 4 GiB are a broken
  // invariant (MER_CHECK); MPI could not carry them anyway.
  static std::string Encode(const WorkMessage& message);

  // Parses bytes made by Encode.
  static core::Result<WorkMessage> Decode(std::string_view bytes);

  // Decode, and also require the message to be of `expected` kind (the MPI
  // tag it arrived under).
  static core::Result<WorkMessage> Decode(std::string_view bytes,
                                          MessageTag expected);
};

}  // namespace mer::comm

#endif  // MER_COMMON_COMM_MESSAGE_CODEC_H_
