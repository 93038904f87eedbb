#include "common/comm/mpi_environment.h"

#include <mpi.h>

#include <cstdlib>
#include <string>

#include "common/comm/mpi_check.h"

namespace mer::comm {

namespace {
std::string ErrorText(int code) {
  char text[MPI_MAX_ERROR_STRING] = {0};
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) {
    return "MPI error code " + std::to_string(code);
  }
  return std::string(text, length);
}
}  // namespace

core::Result<std::unique_ptr<MpiEnvironment>> MpiEnvironment::Init(
    int* argc, char*** argv) {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized) {
    return core::Status::Aborted("MPI init",
                                 "MPI was already finalised in this process");
  }
  int initialized = 0;
  MPI_Initialized(&initialized);

  std::unique_ptr<MpiEnvironment> env(new MpiEnvironment());  // private ctor
  if (initialized) {
    MER_MPI_CHECK(MPI_Query_thread(&env->thread_level_));
  } else {
    // Started without a launcher, Open MPI makes the process a singleton
    // and by default spawns an orted daemon for it (for MPI_Comm_spawn,
    // which mer never calls): 0.4 s of a one-rank job's start-up. Keep the
    // singleton to itself unless the user set the parameter. Under mpirun
    // or srun the parameter is not consulted; other MPIs ignore it.
    setenv("OMPI_MCA_ess_singleton_isolated", "1", /*overwrite=*/0);
    const int rc =
        MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &env->thread_level_);
    if (rc != MPI_SUCCESS) {
      return core::Status::Internal("MPI_Init_thread", ErrorText(rc));
    }
    env->owns_mpi_ = true;  // from here on the destructor finalises
  }
  if (env->thread_level_ < MPI_THREAD_FUNNELED) {
    return core::Status::NotSupported(
        "MPI init",
        "the MPI library does not provide MPI_THREAD_FUNNELED "
        "(provided level " +
            std::to_string(env->thread_level_) + ")");
  }

  MER_MPI_CHECK(MPI_Comm_rank(MPI_COMM_WORLD, &env->rank_));
  MER_MPI_CHECK(MPI_Comm_size(MPI_COMM_WORLD, &env->size_));

  MPI_Comm local = MPI_COMM_NULL;
  MER_MPI_CHECK(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED,
                                    env->rank_, MPI_INFO_NULL, &local));
  MER_MPI_CHECK(MPI_Comm_rank(local, &env->local_rank_));
  MER_MPI_CHECK(MPI_Comm_size(local, &env->local_size_));
  // Local ranks follow world ranks (the split's key): local rank 0 holds
  // the least.
  env->local_first_rank_ = env->rank_;
  MER_MPI_CHECK(MPI_Bcast(&env->local_first_rank_, 1, MPI_INT, 0, local));
  MER_MPI_CHECK(MPI_Comm_free(&local));

  char name[MPI_MAX_PROCESSOR_NAME] = {0};
  int length = 0;
  MER_MPI_CHECK(MPI_Get_processor_name(name, &length));
  env->processor_name_.assign(name, length);
  return env;
}

MpiEnvironment::~MpiEnvironment() {
  if (!owns_mpi_) return;
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

}  // namespace mer::comm
