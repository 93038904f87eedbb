// MakeGradientReducer of a build without NCCL: MPI over host buffers.
#include "common/comm/gradient_sync.h"

namespace mer::comm {

bool HaveNcclDataPlane() { return false; }

core::Result<std::unique_ptr<GradientReducer>> MakeGradientReducer(
    Communicator* comm, const GradientSyncOptions& options) {
  MER_RETURN_IF_ERROR(options.mpi.Validate());
  return std::unique_ptr<GradientReducer>(
      std::make_unique<MpiGradientReducer>(comm, options.mpi));
}

}  // namespace mer::comm
