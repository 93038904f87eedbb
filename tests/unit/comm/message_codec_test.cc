#include "common/comm/message_codec.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mer::comm {
namespace {

std::vector<WorkMessage> Samples() {
  WorkChunk chunk;
  for (uint64_t i = 0; i < 50; ++i) {
    chunk.items.push_back(WorkItem{"track-" + std::to_string(i),
                                   "/music/a b/ü" + std::to_string(i) + ".mp3",
                                   i * 1000003});
  }
  std::string blob("\0\1\2\xff payload", 12);
  return {
      RequestWork{64},
      RequestWork{0xffffffffu},
      chunk,
      WorkChunk{},
      WorkChunk{{WorkItem{"", "", 0}}},
      NoMoreWork{},
      TrackResult{"t1", 7, blob},
      TrackResult{"t2", ~uint64_t{0}, ""},
      TrackFailure{"t3", 9, "song.mp3: Invalid data found when processing"},
      WorkerDone{123, 4, 56789},
      Heartbeat{"node-07.cluster"},
      Heartbeat{},
  };
}

TEST(MessageCodecTest, RoundTripsEveryMessage) {
  for (const WorkMessage& m : Samples()) {
    const std::string bytes = MessageCodec::Encode(m);
    core::Result<WorkMessage> back = MessageCodec::Decode(bytes);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, m);
    EXPECT_EQ(TagOf(*back), TagOf(m));
    core::Result<WorkMessage> typed = MessageCodec::Decode(bytes, TagOf(m));
    ASSERT_TRUE(typed.ok()) << typed.status().ToString();
  }
}

TEST(MessageCodecTest, HeaderCarriesVersionAndTag) {
  const std::string bytes = MessageCodec::Encode(RequestWork{5});
  ASSERT_EQ(bytes.size(), 6u);
  EXPECT_EQ(static_cast<uint8_t>(bytes[0]), MessageCodec::kWireVersion);
  EXPECT_EQ(static_cast<int>(bytes[1]),
            static_cast<int>(MessageTag::kRequestWork));
  EXPECT_EQ(bytes[2], 5);  // little-endian capacity
  EXPECT_EQ(bytes[5], 0);
}

TEST(MessageCodecTest, RejectsEveryTruncation) {
  for (const WorkMessage& m : Samples()) {
    const std::string bytes = MessageCodec::Encode(m);
    for (size_t n = 0; n < bytes.size(); ++n) {
      core::Result<WorkMessage> r =
          MessageCodec::Decode(std::string_view(bytes).substr(0, n));
      ASSERT_FALSE(r.ok()) << MessageTagName(TagOf(m)) << " cut to " << n
                           << " of " << bytes.size() << " bytes decoded";
      EXPECT_TRUE(r.status().IsCorruption()) << r.status().ToString();
    }
  }
}

TEST(MessageCodecTest, RejectsTrailingBytes) {
  std::string bytes = MessageCodec::Encode(TrackResult{"t", 1, "x"});
  bytes.push_back('\0');
  core::Result<WorkMessage> r = MessageCodec::Decode(bytes);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("trailing"), std::string::npos)
      << r.status().ToString();
}

TEST(MessageCodecTest, RejectsUnknownVersionAndTag) {
  std::string bytes = MessageCodec::Encode(NoMoreWork{});
  std::string bad_version = bytes;
  bad_version[0] = 42;
  EXPECT_TRUE(MessageCodec::Decode(bad_version).status().IsCorruption());
  std::string bad_tag = bytes;
  bad_tag[1] = 77;
  core::Result<WorkMessage> r = MessageCodec::Decode(bad_tag);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("77"), std::string::npos);
}

TEST(MessageCodecTest, RejectsImpossibleItemCount) {
  // A chunk claiming 2^32-1 items in a few bytes must fail fast, not
  // reserve gigabytes.
  std::string bytes = MessageCodec::Encode(WorkChunk{});
  bytes[2] = bytes[3] = bytes[4] = bytes[5] = '\xff';
  bytes.append(40, 'x');
  EXPECT_TRUE(MessageCodec::Decode(bytes).status().IsCorruption());
}

TEST(MessageCodecTest, RejectsWrongExpectedTag) {
  const std::string bytes = MessageCodec::Encode(WorkerDone{1, 2});
  core::Result<WorkMessage> r =
      MessageCodec::Decode(bytes, MessageTag::kTrackResult);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("worker_done"), std::string::npos)
      << r.status().ToString();
}

TEST(MessageTagTest, NamesAreStable) {
  EXPECT_EQ(MessageTagName(MessageTag::kRequestWork), "request_work");
  EXPECT_EQ(MessageTagName(MessageTag::kTrackFailure), "track_failure");
  EXPECT_EQ(MessageTagName(static_cast<MessageTag>(1234)), "unknown");
}

}  // namespace
}  // namespace mer::comm
