// mer: label music catalogues by emotion and answer emotion queries.
//
// This is the light build (cli/model_runtime.h): it runs `query`, the help
// and the coordinator rank of `mer index` itself, without loading LibTorch,
// and hands every other command to mer-torch.
#include "cli/command.h"
#include "cli/model_runtime.h"
#include "common/core/allocator.h"

MER_THREAD_ENVIRONMENT_PREINIT();

namespace mer::cli {

bool HasModelRuntime() { return false; }

core::Result<std::unique_ptr<coordinator::IndexWorkerRole>> OpenIndexWorkerRole(
    const worker::InferencePipelineOptions&, const worker::IndexWorkerOptions&) {
  // IndexMain hands a rank that analyses to mer-torch before MPI starts.
  return core::Status::Internal("mer index", "this build runs no model (mer-torch does)");
}

// The commands that run a model, or read audio: mer-torch runs them.
int ProbeMain(const std::vector<std::string>& a) { return RunInModelBinary(a); }
int FeaturesMain(const std::vector<std::string>& a) { return RunInModelBinary(a); }
int ExtractMain(const std::vector<std::string>& a) { return RunInModelBinary(a); }
int ServeMain(const std::vector<std::string>& a) { return RunInModelBinary(a); }
int TrainMain(const std::vector<std::string>& a) { return RunInModelBinary(a); }
int EvalMain(const std::vector<std::string>& a) { return RunInModelBinary(a); }
int PredictMain(const std::vector<std::string>& a) { return RunInModelBinary(a); }
int ExportMain(const std::vector<std::string>& a) { return RunInModelBinary(a); }
int EnsembleMain(const std::vector<std::string>& a) { return RunInModelBinary(a); }

}  // namespace mer::cli

int main(int argc, char** argv) { return mer::cli::RunMer(argc, argv); }
