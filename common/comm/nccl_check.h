// MER_NCCL_CHECK / MER_CUDA_CHECK: every NCCL and CUDA runtime return code in
// mer_comm_nccl goes through one of these (CONVENTIONS rule 9). A failure is
// a transport fault: the call, file:line and the library's error text are
// printed and the job ends through MPI_Abort (see MpiCheckFailed).
#ifndef MER_COMMON_COMM_NCCL_CHECK_H_
#define MER_COMMON_COMM_NCCL_CHECK_H_

#include <cuda_runtime_api.h>
#include <nccl.h>

namespace mer::comm {
[[noreturn]] void NcclCheckFailed(ncclResult_t code, const char* call,
                                  const char* file, int line);
[[noreturn]] void CudaCheckFailed(cudaError_t code, const char* call,
                                  const char* file, int line);
}  // namespace mer::comm

#define MER_NCCL_CHECK(call)                                                 \
  do {                                                                       \
    const ncclResult_t mer_nccl_rc_ = (call);                                \
    if (mer_nccl_rc_ != ncclSuccess)                                         \
      ::mer::comm::NcclCheckFailed(mer_nccl_rc_, #call, __FILE__, __LINE__); \
  } while (0)

#define MER_CUDA_CHECK(call)                                                 \
  do {                                                                       \
    const cudaError_t mer_cuda_rc_ = (call);                                 \
    if (mer_cuda_rc_ != cudaSuccess)                                         \
      ::mer::comm::CudaCheckFailed(mer_cuda_rc_, #call, __FILE__, __LINE__); \
  } while (0)

#endif  // MER_COMMON_COMM_NCCL_CHECK_H_
