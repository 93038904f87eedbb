// MER_MPI_CHECK: every MPI return code goes through this one macro
// (CONVENTIONS rule 9). An MPI failure is a transport fault: it prints the
// MPI_Error_string text with the call, file and line, then MPI_Abort ends the
// whole job (rule 7: only transport faults abort a job).
//
//   MER_MPI_CHECK(MPI_Send(buf, n, MPI_BYTE, dest, tag, comm));
//
// The communicators made by Communicator use MPI_ERRORS_RETURN, so failures
// reach this macro instead of MPI's default fatal handler.
#ifndef MER_COMMON_COMM_MPI_CHECK_H_
#define MER_COMMON_COMM_MPI_CHECK_H_

#include <string>

namespace mer::comm {
// Prints "MPI error <code> in <call> at file:line: <MPI_Error_string>" and calls
// MPI_Abort(MPI_COMM_WORLD, 1). Falls back to std::abort when MPI is not
// initialised (or already finalised).
[[noreturn]] void MpiCheckFailed(int code, const char* call, const char* file,
                                 int line);
// Prints "[rN] LIBRARY error CODE in CALL at FILE:LINE: TEXT" and aborts the
// whole job (MPI_Abort when MPI is up, else abort()): the one way a transport
// fault (MPI, NCCL, CUDA) ends a run.
[[noreturn]] void AbortJob(const char* library, int code, const char* text,
                           const char* call, const char* file, int line);
// Prints "[rN] MESSAGE" and aborts the whole job the same way: for a rank
// whose job failed after the start, when the others would wait for it.
[[noreturn]] void AbortJob(const std::string& message);
}  // namespace mer::comm

#define MER_MPI_CHECK(call)                                                \
  do {                                                                     \
    const int mer_mpi_rc_ = (call);                                        \
    if (mer_mpi_rc_ != MPI_SUCCESS)                                        \
      ::mer::comm::MpiCheckFailed(mer_mpi_rc_, #call, __FILE__, __LINE__); \
  } while (0)

#endif  // MER_COMMON_COMM_MPI_CHECK_H_
