// NCCL data plane for data-parallel training on GPUs (Horovod's split: MPI
// control plane, NCCL data plane). Built only with MER_WITH_NCCL, as the
// separate target mer_comm_nccl.
//
//   MER_ASSIGN_OR_RETURN(auto nccl, comm::NcclCommunicator::Create(
//       &world, env->local_rank() % device_count));
//   comm::NcclGradientReducer reducer(nccl.get());
//   MER_RETURN_IF_ERROR(reducer.AverageInPlace(device_grad_spans));
//
// Ownership and threads: NcclCommunicator owns its ncclComm_t (destroyed in
// the destructor, or aborted when NCCL reports an asynchronous error) and must outlive the reducers using it. Neither class is
// thread-safe; call them from the rank's MPI thread.
#ifndef MER_COMMON_COMM_NCCL_REDUCER_H_
#define MER_COMMON_COMM_NCCL_REDUCER_H_

#include <cuda_runtime_api.h>
#include <nccl.h>

#include <memory>
#include <span>
#include <vector>

#include "common/comm/gradient_reducer.h"
#include "common/core/result.h"

namespace mer::comm {

class Communicator;

// Whether a communicator must be aborted rather than destroyed, given the
// return code of ncclCommGetAsyncError (`query`) and the error it reported
// (`async`): a destroy would wait forever for work an error left hanging.
bool NcclMustAbort(ncclResult_t query, ncclResult_t async);

// Number of CUDA devices visible to this process; 0 when there is no driver
// or no device (never aborts, so callers can decide to fall back to CPU).
int CudaDeviceCount();

class NcclCommunicator {
 public:
  // Collective over `mpi` (not retained): binds this thread to `device`,
  // rank 0 creates the ncclUniqueId and broadcasts it over MPI, and every rank
  // joins with ncclCommInitRank. NotSupported when there is no CUDA device,
  // InvalidArgument when `device` is out of range. NCCL failures abort.
  // Each rank must use a distinct GPU (NCCL rejects duplicates).
  static core::Result<std::unique_ptr<NcclCommunicator>> Create(
      Communicator* mpi, int device);

  NcclCommunicator(const NcclCommunicator&) = delete;
  NcclCommunicator& operator=(const NcclCommunicator&) = delete;
  ~NcclCommunicator();

  ncclComm_t handle() const { return comm_; }
  int rank() const { return rank_; }
  int size() const { return size_; }
  int device() const { return device_; }

 private:
  NcclCommunicator() = default;

  ncclComm_t comm_ = nullptr;
  int rank_ = 0;
  int size_ = 1;
  int device_ = 0;
};

// Averages device buffers with one grouped ncclAllReduce(ncclAvg) per buffer
// (NCCL fuses grouped operations, so no host-side bucketing is needed).
class NcclGradientReducer : public GradientReducer {
 public:
  // `comm` is not owned and must outlive the reducer. The reductions are
  // queued on `stream`; the default (nullptr) is the legacy default stream,
  // which orders them after kernels already queued by LibTorch's default
  // stream. AverageInPlace synchronises `stream` before it returns.
  explicit NcclGradientReducer(NcclCommunicator* comm,
                               cudaStream_t stream = nullptr);
  ~NcclGradientReducer() override;

  // `buffers` are spans over device memory of comm's device.
  [[nodiscard]] core::Status AverageInPlace(
      const std::vector<std::span<float>>& buffers) override;

 private:
  NcclCommunicator* comm_;  // not owned
  cudaStream_t stream_;     // not owned
};

}  // namespace mer::comm

#endif  // MER_COMMON_COMM_NCCL_REDUCER_H_
