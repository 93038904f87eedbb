// MakeGradientReducer: the gradient reducer this build offers for where a
// rank's gradients live (DESIGN.md §5, Horovod's split of an MPI control
// plane and an NCCL data plane):
//   * gradients on a CUDA device, more than one rank, and the NCCL data
//     plane built (target mer_comm_nccl, MER_WITH_NCCL): NcclGradientReducer
//     over device buffers, with its communicator made here (the unique id
//     is broadcast over `comm`);
//   * otherwise MpiGradientReducer over host buffers (the trainer copies
//     device gradients to the host and back).
// The choice is made by which source file the build links (target
// mer_comm_sync), so callers carry no #if.
//
//   MER_ASSIGN_OR_RETURN(auto reducer, comm::MakeGradientReducer(&world, {}));
//   if (reducer->on_device()) ... pass device spans ... else host spans
//
// Collective: every rank calls it with the same options.
#ifndef MER_COMMON_COMM_GRADIENT_SYNC_H_
#define MER_COMMON_COMM_GRADIENT_SYNC_H_

#include <memory>

#include "common/comm/gradient_reducer.h"
#include "common/core/result.h"

namespace mer::comm {

class Communicator;

struct GradientSyncOptions {
  // CUDA device holding this rank's gradients; -1: host memory.
  // Default: -1.
  int cuda_device = -1;
  MpiGradientReducerOptions mpi;
};

// `comm` is not owned and must outlive the reducer.
core::Result<std::unique_ptr<GradientReducer>> MakeGradientReducer(
    Communicator* comm, const GradientSyncOptions& options);

// Whether this build has the NCCL data plane.
bool HaveNcclDataPlane();

}  // namespace mer::comm

#endif  // MER_COMMON_COMM_GRADIENT_SYNC_H_
