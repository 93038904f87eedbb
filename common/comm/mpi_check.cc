#include "common/comm/mpi_check.h"

#include <mpi.h>

#include <cstdio>
#include <cstdlib>

namespace mer::comm {

void AbortJob(const char* library, int code, const char* text,
              const char* call, const char* file, int line) {
  int initialized = 0;
  int finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  int rank = -1;
  if (initialized && !finalized) MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  std::fprintf(stderr, "[r%d] %s error %d in %s at %s:%d: %s\n", rank, library,
               code, call, file, line, text);
  std::fflush(stderr);
  if (initialized && !finalized) MPI_Abort(MPI_COMM_WORLD, 1);
  std::abort();
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
