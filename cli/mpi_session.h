// MPI for the commands that run across ranks (extract, train, index): started
// on first use, so probe/features never touch MPI. Without mpirun the job is
// a singleton (one rank does everything in-process).
#ifndef MER_CLI_MPI_SESSION_H_
#define MER_CLI_MPI_SESSION_H_

#include <memory>
#include <optional>

#include "common/comm/communicator.h"
#include "common/comm/mpi_environment.h"
#include "common/core/result.h"

namespace mer::cli {

// Members are destroyed in reverse order: the communicator before MPI ends.
struct MpiSession {
  std::unique_ptr<comm::MpiEnvironment> env;
  std::optional<comm::Communicator> world;
};

// Initialises MPI and duplicates MPI_COMM_WORLD; logging gets the rank when
// there are several.
core::Result<std::unique_ptr<MpiSession>> StartMpi();

}  // namespace mer::cli

#endif  // MER_CLI_MPI_SESSION_H_
