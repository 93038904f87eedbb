#include "common/comm/nccl_reducer.h"

#include <mpi.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "common/comm/communicator.h"
#include "common/comm/mpi_check.h"
#include "common/comm/nccl_check.h"
#include "common/core/check.h"

static_assert(NCCL_VERSION_CODE >= NCCL_VERSION(2, 10, 0),
              "mer_comm_nccl needs NCCL >= 2.10 (ncclAvg)");

namespace mer::comm {

void NcclCheckFailed(ncclResult_t code, const char* call, const char* file,
                     int line) {
  AbortJob("NCCL", static_cast<int>(code), ncclGetErrorString(code), call, file,
           line);
}

void CudaCheckFailed(cudaError_t code, const char* call, const char* file,
                     int line) {
  AbortJob("CUDA", static_cast<int>(code), cudaGetErrorString(code), call, file,
           line);
}

bool NcclMustAbort(ncclResult_t query, ncclResult_t async) {
  return query != ncclSuccess || async != ncclSuccess;
}

int CudaDeviceCount() {
  int count = 0;
  // No driver or no device is an answer here, not a fault.
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();  // reset the runtime's last-error state
    return 0;
  }
  return count;
}

core::Result<std::unique_ptr<NcclCommunicator>> NcclCommunicator::Create(
    Communicator* mpi, int device) {
  MER_CHECK(mpi != nullptr);
  // Every rank must take part in the broadcast below even when its own
  // device check fails, or the others would wait forever: agree first.
  const int count = CudaDeviceCount();
  const int64_t ok = (count > 0 && device >= 0 && device < count) ? 1 : 0;
  int64_t all_ok = ok;
  mpi->AllreduceSum(&all_ok, 1);
  if (!ok) {
    if (count == 0) {
      return core::Status::NotSupported("NCCL communicator",
                                        "no CUDA device is visible");
    }
    return core::Status::InvalidArgument(
        "NCCL communicator", "device " + std::to_string(device) +
                                 " is outside [0, " + std::to_string(count) +
                                 ")");
  }
  if (all_ok != mpi->size()) {
    return core::Status::Aborted("NCCL communicator",
                                 "another rank has no usable CUDA device");
  }

  MER_CUDA_CHECK(cudaSetDevice(device));
  ncclUniqueId id;
  if (mpi->rank() == 0) MER_NCCL_CHECK(ncclGetUniqueId(&id));
  std::string id_bytes(reinterpret_cast<const char*>(&id), sizeof(id));
  mpi->BroadcastBytes(0, &id_bytes);
  MER_CHECK(id_bytes.size() == sizeof(id));
  std::memcpy(&id, id_bytes.data(), sizeof(id));

  std::unique_ptr<NcclCommunicator> comm(new NcclCommunicator());  // private
  comm->device_ = device;
  comm->rank_ = mpi->rank();
  comm->size_ = mpi->size();
  MER_NCCL_CHECK(ncclCommInitRank(&comm->comm_, comm->size_, id, comm->rank_));
  return comm;
}

NcclCommunicator::~NcclCommunicator() {
  if (comm_ == nullptr) return;
  // Horovod's commDestroyOrAbort: ncclCommDestroy waits for the
  // communicator's pending work, which never finishes after an
  // asynchronous error (a peer died, a network failed); abort it then.
  ncclResult_t async = ncclSuccess;
  const ncclResult_t query = ncclCommGetAsyncError(comm_, &async);
  if (NcclMustAbort(query, async)) {
    std::fprintf(stderr, "NCCL communicator: %s; aborting it\n",
                 ncclGetErrorString(query != ncclSuccess ? query : async));
    ncclCommAbort(comm_);  // its own failure changes nothing now
    return;
  }
  MER_NCCL_CHECK(ncclCommDestroy(comm_));
}

NcclGradientReducer::NcclGradientReducer(NcclCommunicator* comm,
                                         cudaStream_t stream)
    : comm_(comm), stream_(stream) {
  MER_CHECK(comm_ != nullptr);
}

NcclGradientReducer::~NcclGradientReducer() = default;

core::Status NcclGradientReducer::AverageInPlace(
    const std::vector<std::span<float>>& buffers) {
  MER_CUDA_CHECK(cudaSetDevice(comm_->device()));
  MER_NCCL_CHECK(ncclGroupStart());
  for (const auto& buffer : buffers) {
    if (buffer.empty()) continue;
    MER_NCCL_CHECK(ncclAllReduce(buffer.data(), buffer.data(), buffer.size(),
                                 ncclFloat, ncclAvg, comm_->handle(), stream_));
  }
  MER_NCCL_CHECK(ncclGroupEnd());
  MER_CUDA_CHECK(cudaStreamSynchronize(stream_));
  return core::Status::Ok();
}

}  // namespace mer::comm
