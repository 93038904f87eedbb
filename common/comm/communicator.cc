#include "common/comm/communicator.h"

#include <algorithm>
#include <chrono>
#include <climits>
#include <thread>
#include <utility>

#include "common/comm/mpi_check.h"
#include "common/core/check.h"

namespace mer::comm {

namespace {

int MpiTag(std::optional<MessageTag> tag) {
  return tag ? static_cast<int>(*tag) : MPI_ANY_TAG;
}

// Runs `reduce(offset, count)` over [0, n) in pieces MPI's int count accepts.
template <typename Fn>
void ForEachIntRange(size_t n, Fn reduce) {
  constexpr size_t kMax = static_cast<size_t>(INT_MAX);
  for (size_t offset = 0; offset < n; offset += kMax) {
    reduce(offset, static_cast<int>(std::min(kMax, n - offset)));
  }
}

}  // namespace

Communicator::Communicator(MPI_Comm comm) {
  MER_MPI_CHECK(MPI_Comm_dup(comm, &comm_));
  MER_MPI_CHECK(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN));
  MER_MPI_CHECK(MPI_Comm_rank(comm_, &rank_));
  MER_MPI_CHECK(MPI_Comm_size(comm_, &size_));
}

Communicator::Communicator(Communicator&& other) noexcept
    : comm_(std::exchange(other.comm_, MPI_COMM_NULL)),
      rank_(other.rank_),
      size_(other.size_),
      posted_(std::move(other.posted_)) {}

Communicator& Communicator::operator=(Communicator&& other) noexcept {
  if (this != &other) {
    if (comm_ != MPI_COMM_NULL) {
      FlushSends();
      MER_MPI_CHECK(MPI_Comm_free(&comm_));
    }
    comm_ = std::exchange(other.comm_, MPI_COMM_NULL);
    rank_ = other.rank_;
    size_ = other.size_;
    posted_ = std::move(other.posted_);
    other.posted_.clear();
  }
  return *this;
}

Communicator::~Communicator() {
  if (comm_ == MPI_COMM_NULL) return;
  int finalized = 0;
  MPI_Finalized(&finalized);
  // After MPI_Finalize the handle is gone with the library; nothing to free.
  if (finalized) return;
  FlushSends();
  MER_MPI_CHECK(MPI_Comm_free(&comm_));
}

core::Status Communicator::CheckSend(int dest, size_t size) const {
  if (dest < 0 || dest >= size_) {
    return core::Status::InvalidArgument(
        "send", "destination rank " + std::to_string(dest) +
                    " is outside [0, " + std::to_string(size_) + ")");
  }
  if (size > static_cast<size_t>(INT_MAX)) {
    return core::Status::InvalidArgument(
        "send", "message of " + std::to_string(size) +
                    " bytes exceeds the MPI count limit (INT_MAX)");
  }
  return core::Status::Ok();
}

core::Status Communicator::SendBytes(int dest, MessageTag tag,
                                     std::span<const std::byte> bytes) {
  MER_RETURN_IF_ERROR(CheckSend(dest, bytes.size()));
  MER_MPI_CHECK(MPI_Send(bytes.data(), static_cast<int>(bytes.size()), MPI_BYTE,
                         dest, static_cast<int>(tag), comm_));
  return core::Status::Ok();
}

core::Status Communicator::PostSend(int dest, MessageTag tag,
                                    std::string bytes) {
  MER_RETURN_IF_ERROR(CheckSend(dest, bytes.size()));
  PollSends();
  PostedSend& send = posted_.emplace_back();
  send.bytes = std::move(bytes);
  MER_MPI_CHECK(MPI_Isend(send.bytes.data(),
                          static_cast<int>(send.bytes.size()), MPI_BYTE, dest,
                          static_cast<int>(tag), comm_, &send.request));
  return core::Status::Ok();
}

size_t Communicator::PollSends() {
  for (auto it = posted_.begin(); it != posted_.end();) {
    int done = 0;
    MER_MPI_CHECK(MPI_Test(&it->request, &done, MPI_STATUS_IGNORE));
    it = done ? posted_.erase(it) : std::next(it);
  }
  return posted_.size();
}

void Communicator::FlushSends() {
  for (PostedSend& send : posted_) {
    MER_MPI_CHECK(MPI_Wait(&send.request, MPI_STATUS_IGNORE));
  }
  posted_.clear();
}

core::Status Communicator::SendBytes(int dest, MessageTag tag,
                                     std::string_view bytes) {
  return SendBytes(dest, tag, std::as_bytes(std::span(bytes)));
}

ReceivedMessage Communicator::RecvBytes(int source,
                                        std::optional<MessageTag> tag) {
  MER_CHECK_MSG(source == kAnySource || (source >= 0 && source < size_),
                "RecvBytes: source rank out of range");
  MPI_Status status;
  MER_MPI_CHECK(MPI_Probe(source, MpiTag(tag), comm_, &status));
  int count = 0;
  MER_MPI_CHECK(MPI_Get_count(&status, MPI_BYTE, &count));
  ReceivedMessage message;
  message.source = status.MPI_SOURCE;
  message.tag = static_cast<MessageTag>(status.MPI_TAG);
  message.bytes.resize(static_cast<size_t>(count));
  // Receive exactly the probed message: same source and tag.
  MER_MPI_CHECK(MPI_Recv(message.bytes.data(), count, MPI_BYTE,
                         status.MPI_SOURCE, status.MPI_TAG, comm_,
                         MPI_STATUS_IGNORE));
  return message;
}

std::optional<ReceivedMessage> Communicator::RecvBytesWithin(
    int source, std::chrono::milliseconds timeout) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + timeout;
  auto pause = std::chrono::microseconds(50);
  while (!IProbe(source, std::nullopt)) {
    PollSends();
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(2000));
  }
  return RecvBytes(source, std::nullopt);
}

std::optional<ProbeResult> Communicator::IProbe(int source,
                                                std::optional<MessageTag> tag) {
  MER_CHECK_MSG(source == kAnySource || (source >= 0 && source < size_),
                "IProbe: source rank out of range");
  int flag = 0;
  MPI_Status status;
  MER_MPI_CHECK(MPI_Iprobe(source, MpiTag(tag), comm_, &flag, &status));
  if (!flag) return std::nullopt;
  int count = 0;
  MER_MPI_CHECK(MPI_Get_count(&status, MPI_BYTE, &count));
  return ProbeResult{status.MPI_SOURCE, static_cast<MessageTag>(status.MPI_TAG),
                     static_cast<size_t>(count)};
}

void Communicator::BroadcastBytes(int root, std::string* bytes) {
  MER_CHECK(bytes != nullptr);
  MER_CHECK_MSG(root >= 0 && root < size_, "BroadcastBytes: bad root");
  uint64_t size = rank_ == root ? bytes->size() : 0;
  MER_MPI_CHECK(MPI_Bcast(&size, 1, MPI_UINT64_T, root, comm_));
  if (rank_ != root) bytes->resize(size);
  ForEachIntRange(size, [&](size_t offset, int count) {
    MER_MPI_CHECK(
        MPI_Bcast(bytes->data() + offset, count, MPI_BYTE, root, comm_));
  });
}

void Communicator::AllreduceSum(float* data, size_t n) {
  ForEachIntRange(n, [&](size_t offset, int count) {
    MER_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, data + offset, count, MPI_FLOAT,
                                MPI_SUM, comm_));
  });
}

void Communicator::AllreduceSum(double* data, size_t n) {
  ForEachIntRange(n, [&](size_t offset, int count) {
    MER_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, data + offset, count, MPI_DOUBLE,
                                MPI_SUM, comm_));
  });
}

void Communicator::AllreduceSum(int64_t* data, size_t n) {
  ForEachIntRange(n, [&](size_t offset, int count) {
    MER_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, data + offset, count, MPI_INT64_T,
                                MPI_SUM, comm_));
  });
}

std::vector<int64_t> Communicator::AllgatherInt64(int64_t value) {
  std::vector<int64_t> all(static_cast<size_t>(size_));
  MER_MPI_CHECK(
      MPI_Allgather(&value, 1, MPI_INT64_T, all.data(), 1, MPI_INT64_T, comm_));
  return all;
}

void Communicator::Barrier() { MER_MPI_CHECK(MPI_Barrier(comm_)); }

bool Communicator::BarrierWithin(double seconds) {
  // Always the nonblocking barrier: it does not match a blocking one.
  MPI_Request request = MPI_REQUEST_NULL;
  MER_MPI_CHECK(MPI_Ibarrier(comm_, &request));
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::duration<double>(seconds);
  for (;;) {
    int done = 0;
    MER_MPI_CHECK(MPI_Test(&request, &done, MPI_STATUS_IGNORE));
    if (done) return true;
    if (seconds > 0 && std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace mer::comm
