// Gradient averaging for data-parallel training (DESIGN.md §5).
//
// GradientReducer is the interface the trainer calls once per step with the
// gradient buffers of every parameter, in an order that is identical on every
// rank (the module's registration order). After the call each buffer holds
// the mean of that buffer over all ranks.
//
// MpiGradientReducer (CPU buffers) follows PyTorch c10d's reducer: the
// buffers are packed, in order, into flat buckets of ~25 MiB; an
// MPI_Iallreduce is started for each bucket as soon as it is packed (so
// packing overlaps communication), all are then waited for, and the sums are
// divided by the rank count and unpacked. A buffer larger than a bucket spans
// several buckets. With one rank the call is a no-op.
//
// The NCCL implementation for device buffers is NcclGradientReducer in
// common/comm/nccl_reducer.h (target mer_comm_nccl, built with MER_WITH_NCCL);
// MakeGradientReducer (gradient_sync.h) picks one for the build and device.
#ifndef MER_COMMON_COMM_GRADIENT_REDUCER_H_
#define MER_COMMON_COMM_GRADIENT_REDUCER_H_

#include <cstddef>
#include <span>
#include <vector>

#include "common/core/status.h"

namespace mer::comm {

class Communicator;

class GradientReducer {
 public:
  virtual ~GradientReducer();

  // Replaces every buffer by its element-wise mean over all ranks.
  // Collective: every rank calls it with the same number of buffers, of the
  // same sizes, in the same order (a mismatch is undefined: MPI may hang or
  // abort). The spans' memory is written in place and not retained.
  [[nodiscard]] virtual core::Status AverageInPlace(
      const std::vector<std::span<float>>& buffers) = 0;

  // True when the buffers must be device (GPU) memory, false for host
  // memory.
  virtual bool on_device() const { return false; }
  // What averages the gradients, for the log: "MPI (host buffers)".
  virtual const char* name() const { return "MPI (host buffers)"; }
};

struct MpiGradientReducerOptions {
  // Size of one flat bucket in bytes. Smaller buckets start communication
  // sooner; larger ones cost fewer MPI calls. Must hold at least one float
  // and at most INT_MAX floats. Default: 25 MiB (c10d's bucket_cap_mb).
  size_t bucket_bytes = size_t{25} << 20;

  [[nodiscard]] core::Status Validate() const;
};

// Thread-safety: not thread-safe; call from the rank's MPI thread.
class MpiGradientReducer : public GradientReducer {
 public:
  // `comm` is not owned and must outlive the reducer. Options are validated
  // by the caller (Validate()); invalid options abort here (MER_CHECK).
  MpiGradientReducer(Communicator* comm, MpiGradientReducerOptions options);
  ~MpiGradientReducer() override;

  [[nodiscard]] core::Status AverageInPlace(
      const std::vector<std::span<float>>& buffers) override;

  // Number of buckets the last AverageInPlace used (0 with one rank).
  size_t last_bucket_count() const { return last_bucket_count_; }

 private:
  Communicator* comm_;  // not owned
  MpiGradientReducerOptions options_;
  // Flat buckets, kept between calls so steady-state steps do not allocate.
  std::vector<std::vector<float>> buckets_;
  size_t last_bucket_count_ = 0;
};

}  // namespace mer::comm

#endif  // MER_COMMON_COMM_GRADIENT_REDUCER_H_
