// mer-torch's side of the seam in cli/model_runtime.h: the model runtime is
// here.
#include "cli/model_runtime.h"

namespace mer::cli {
namespace {

// The worker role of the index job: worker/index/'s inference pipeline
// serving the work protocol.
class PipelineWorker : public coordinator::IndexWorkerRole {
 public:
  PipelineWorker(std::unique_ptr<worker::InferencePipeline> pipeline,
                 worker::IndexWorkerOptions options)
      : pipeline_(std::move(pipeline)), options_(options) {}
  core::Status Run(comm::WorkerTransport& transport) override {
    return worker::RunIndexWorker(transport, *pipeline_, options_).status();
  }

 private:
  std::unique_ptr<worker::InferencePipeline> pipeline_;
  worker::IndexWorkerOptions options_;
};

}  // namespace

bool HasModelRuntime() { return true; }

core::Result<std::unique_ptr<coordinator::IndexWorkerRole>> OpenIndexWorkerRole(
    const worker::InferencePipelineOptions& pipe,
    const worker::IndexWorkerOptions& options) {
  MER_ASSIGN_OR_RETURN(auto pipeline, worker::InferencePipeline::Open(pipe));
  return std::unique_ptr<coordinator::IndexWorkerRole>(
      std::make_unique<PipelineWorker>(std::move(pipeline), options));
}

}  // namespace mer::cli
