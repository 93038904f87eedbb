// MakeGradientReducer of a build with the NCCL data plane: NCCL over device
// buffers when the gradients live on a GPU and there are several ranks,
// else MPI over host buffers.
#include "common/comm/communicator.h"
#include "common/comm/gradient_sync.h"
#include "common/comm/nccl_reducer.h"

namespace mer::comm {
namespace {

// An NcclGradientReducer that owns its communicator.
class OwningNcclReducer : public GradientReducer {
 public:
  explicit OwningNcclReducer(std::unique_ptr<NcclCommunicator> comm)
      : comm_(std::move(comm)), reducer_(comm_.get()) {}
  core::Status AverageInPlace(
      const std::vector<std::span<float>>& buffers) override {
    return reducer_.AverageInPlace(buffers);
  }
  bool on_device() const override { return true; }
  const char* name() const override { return "NCCL (device buffers)"; }

 private:
  std::unique_ptr<NcclCommunicator> comm_;  // outlives reducer_
  NcclGradientReducer reducer_;
};

}  // namespace

bool HaveNcclDataPlane() { return true; }

core::Result<std::unique_ptr<GradientReducer>> MakeGradientReducer(
    Communicator* comm, const GradientSyncOptions& options) {
  MER_RETURN_IF_ERROR(options.mpi.Validate());
  if (options.cuda_device < 0 || comm->size() == 1) {
    return std::unique_ptr<GradientReducer>(
        std::make_unique<MpiGradientReducer>(comm, options.mpi));
  }
  MER_ASSIGN_OR_RETURN(std::unique_ptr<NcclCommunicator> nccl,
                       NcclCommunicator::Create(comm, options.cuda_device));
  return std::unique_ptr<GradientReducer>(
      std::make_unique<OwningNcclReducer>(std::move(nccl)));
}

}  // namespace mer::comm
