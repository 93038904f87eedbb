#include "common/comm/mpi_check.h"

#include <mpi.h>

#include <cstdio>
#include <cstdlib>

namespace mer::comm {

namespace {

// The world rank, or -1 when MPI is not up.
int WorldRank(bool* mpi_up) {
  int initialized = 0;
  int finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  *mpi_up = initialized && !finalized;
  int rank = -1;
  if (*mpi_up) MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}

[[noreturn]] void Abort(bool mpi_up) {
  std::fflush(stderr);
  if (mpi_up) MPI_Abort(MPI_COMM_WORLD, 1);
  std::abort();
}

}  // namespace

void AbortJob(const char* library, int code, const char* text,
              const char* call, const char* file, int line) {
  bool mpi_up = false;
  const int rank = WorldRank(&mpi_up);
  std::fprintf(stderr, "[r%d] %s error %d in %s at %s:%d: %s\n", rank, library,
               code, call, file, line, text);
  Abort(mpi_up);
}

void AbortJob(const std::string& message) {
  bool mpi_up = false;
  const int rank = WorldRank(&mpi_up);
  std::fprintf(stderr, "[r%d] %s\n", rank, message.c_str());
  Abort(mpi_up);
}

void MpiCheckFailed(int code, const char* call, const char* file, int line) {
  char text[MPI_MAX_ERROR_STRING] = {0};
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) {
    std::snprintf(text, sizeof(text), "MPI error code %d", code);
  }
  AbortJob("MPI", code, text, call, file, line);
}

}  // namespace mer::comm
