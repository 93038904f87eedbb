// Two builds of one command line. LibTorch and what it loads (some 300
// shared libraries: OpenCV, GDAL, ...) cost each process about 1.2 CPU-s
// before main, which a process that runs no model need not pay:
//  * `mer` runs in-process only what needs no model: `query`, the help,
//    and the coordinator rank of `mer index` under MPI (rank 0 of several,
//    which scans, schedules and writes). Every other command, and every
//    rank that analyses audio, it replaces by `mer-torch` (exec, before
//    MPI starts: the same pid, arguments and environment).
//  * `mer-torch`, beside it, is the same CLI linked with the models and
//    runs everything.
// The functions declared here are the seam: the light build defines them
// in cli/light_main.cc, the full one in cli/model_runtime.cc (as LevelDB
// defines Env::Default() once per platform).
#ifndef MER_CLI_MODEL_RUNTIME_H_
#define MER_CLI_MODEL_RUNTIME_H_

#include <memory>
#include <string>
#include <vector>

#include "common/core/result.h"
#include "coordinator/index_job.h"
#include "worker/index/index_worker.h"

namespace mer::cli {

// Whether this process can run a model (mer-torch: yes; mer: no).
bool HasModelRuntime();

// The worker role of `mer index`: worker/index/'s inference pipeline
// serving the work protocol. Only in a process with the model runtime.
core::Result<std::unique_ptr<coordinator::IndexWorkerRole>> OpenIndexWorkerRole(
    const worker::InferencePipelineOptions& pipe,
    const worker::IndexWorkerOptions& options);

// Whether the launcher placed this process as the coordinator of an MPI job
// of several ranks (rank 0 of size > 1), read from the launcher's
// environment before MPI starts: Open MPI's OMPI_COMM_WORLD_RANK/SIZE,
// PMI_RANK/PMI_SIZE (MPICH, Intel MPI), Slurm's SLURM_PROCID and
// SLURM_STEP_NUM_TASKS (srun). False when they do not say.
bool CoordinatorOnlyRank();

// Replaces this process by mer-torch (the file `mer-torch` in the folder of
// this executable, or $MER_TORCH) running `args` (args[0] is the
// command). Returns only on failure: prints why and returns kExitFailure.
int RunInModelBinary(const std::vector<std::string>& args);

}  // namespace mer::cli

#endif  // MER_CLI_MODEL_RUNTIME_H_
