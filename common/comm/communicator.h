// Communicator: a thin typed wrapper over an MPI communicator, exposing only
// what mer's jobs need: byte messages with typed tags, probing, broadcast of
// a byte string, sum all-reduces, an all-gather of one int64 and a barrier.
//
//   comm::Communicator world = comm::Communicator::DuplicateWorld();
//   world.SendBytes(0, comm::MessageTag::kRequestWork, bytes);
//   comm::ReceivedMessage m = world.RecvBytes(comm::kAnySource, std::nullopt);
//
// Ownership: the Communicator owns a duplicate of the MPI_Comm it was made
// from (so mer's traffic never matches anyone else's messages) and frees it
// in its destructor, after waiting for its posted sends; it must be
// destroyed before MpiEnvironment finalises. Move-only.
//
// Errors: the duplicate uses MPI_ERRORS_RETURN and every call goes through
// MER_MPI_CHECK, so an MPI failure aborts the job with the MPI error text
// (transport faults abort, CONVENTIONS rules 7 and 9). Caller mistakes (a
// rank out of range, a message over 2 GiB) are returned as Status.
//
// Thread-safety: not thread-safe. One thread per rank makes the MPI calls
// (MPI_THREAD_FUNNELED, see mpi_environment.h).
#ifndef MER_COMMON_COMM_COMMUNICATOR_H_
#define MER_COMMON_COMM_COMMUNICATOR_H_

#include <mpi.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/comm/message_tag.h"
#include "common/core/result.h"

namespace mer::comm {

// Source wildcard for RecvBytes / IProbe.
inline constexpr int kAnySource = MPI_ANY_SOURCE;

struct ReceivedMessage {
  int source = -1;
  MessageTag tag = MessageTag::kTest;
  std::string bytes;
};

struct ProbeResult {
  int source = -1;
  MessageTag tag = MessageTag::kTest;
  size_t size = 0;  // bytes
};

class Communicator {
 public:
  // Duplicates `comm` (MPI_Comm_dup) and sets MPI_ERRORS_RETURN on the copy.
  // MPI must be initialised.
  explicit Communicator(MPI_Comm comm);
  // Same as Communicator(MPI_COMM_WORLD).
  static Communicator DuplicateWorld() { return Communicator(MPI_COMM_WORLD); }

  Communicator(Communicator&& other) noexcept;
  Communicator& operator=(Communicator&& other) noexcept;
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;
  ~Communicator();

  int rank() const { return rank_; }
  int size() const { return size_; }
  // The underlying (duplicated) handle, for code that issues MPI calls of
  // its own (the gradient reducer). Still owned by this object.
  MPI_Comm handle() const { return comm_; }

  // Blocking send of `bytes` to `dest`. InvalidArgument when dest is out of
  // range or the message exceeds INT_MAX bytes.
  [[nodiscard]] core::Status SendBytes(int dest, MessageTag tag,
                                       std::span<const std::byte> bytes);
  [[nodiscard]] core::Status SendBytes(int dest, MessageTag tag,
                                       std::string_view bytes);

  // Starts a non-blocking send and returns at once; the Communicator keeps
  // `bytes` alive until the send completes. For a rank that must never
  // block on a send (the coordinator: a blocking send of a large message
  // to a worker that is itself blocked sending to the coordinator would
  // deadlock). Completed sends are reaped by PollSends(), FlushSends() and
  // later PostSend calls. Same InvalidArgument cases as SendBytes.
  [[nodiscard]] core::Status PostSend(int dest, MessageTag tag,
                                      std::string bytes);
  // Reaps completed posted sends without blocking; returns how many are
  // still in flight.
  size_t PollSends();
  // Blocks until every posted send has completed (their receivers must
  // receive them). The destructor does this too.
  void FlushSends();

  // Blocks until a message from `source` (or kAnySource) with `tag` (or any
  // tag when nullopt) arrives, then receives it whole (MPI_Probe +
  // MPI_Get_count + MPI_Recv, so the size need not be known in advance).
  ReceivedMessage RecvBytes(int source, std::optional<MessageTag> tag);

  // Non-blocking check for a matching message; nullopt when none is waiting.
  std::optional<ProbeResult> IProbe(int source, std::optional<MessageTag> tag);

  // The next message from `source` (or kAnySource), of any tag, waiting at
  // most `timeout`; nullopt when none came. It polls IProbe with a backoff
  // from 50 us to 2 ms, so an idle rank sleeps instead of spinning, and
  // reaps posted sends while it waits.
  std::optional<ReceivedMessage> RecvBytesWithin(
      int source, std::chrono::milliseconds timeout);

  // On `root`, sends *bytes to every rank; elsewhere replaces *bytes with
  // root's. Collective.
  void BroadcastBytes(int root, std::string* bytes);

  // In-place element-wise sum over all ranks of `data[0, n)`. Collective;
  // every rank passes the same n. Counts over INT_MAX are split.
  void AllreduceSum(float* data, size_t n);
  void AllreduceSum(double* data, size_t n);
  void AllreduceSum(int64_t* data, size_t n);

  // Returns every rank's `value`, indexed by rank. Collective.
  std::vector<int64_t> AllgatherInt64(int64_t value);

  void Barrier();
  // A nonblocking barrier waited on for at most `seconds` (<= 0: for ever):
  // false when some rank did not arrive in time (its host lost, say); the
  // caller then aborts the job (the pending barrier cannot be cancelled).
  // Every rank must call this one (it does not match Barrier()).
  [[nodiscard]] bool BarrierWithin(double seconds);

 private:
  struct PostedSend {
    MPI_Request request = MPI_REQUEST_NULL;
    std::string bytes;  // the send buffer; std::list keeps it in place
  };

  core::Status CheckSend(int dest, size_t size) const;

  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0;
  int size_ = 0;
  std::list<PostedSend> posted_;
};

}  // namespace mer::comm

#endif  // MER_COMMON_COMM_COMMUNICATOR_H_
