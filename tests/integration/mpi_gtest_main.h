// A GoogleTest main for test binaries started by mpirun (link the
// mer_mpi_gtest_main target instead of GTest::gtest_main).
//
// What it does:
//  * initialises MPI through comm::MpiEnvironment before any test runs and
//    finalises it after the last one; tests reach it through Mpi();
//  * prints GoogleTest's progress from rank 0 only, so the CTest log stays
//    readable; a failure on any rank is printed with its rank ("[r2] ...");
//  * ends the whole job with MPI_Abort as soon as a test fails on any rank,
//    so peers blocked in a receive or a collective never wait forever for
//    the failed rank (the CTest TIMEOUT and mpirun --timeout are the
//    backstop for a hang without a failure);
//  * returns non-zero on every rank when any rank failed.
//
// Every rank runs the same tests in the same order (no shuffling), so tests
// may use collectives freely. A test that needs more ranks than it has calls
// GTEST_SKIP() << "needs at least N ranks" on every rank alike.
#ifndef MER_TESTS_INTEGRATION_MPI_GTEST_MAIN_H_
#define MER_TESTS_INTEGRATION_MPI_GTEST_MAIN_H_

#include "common/comm/mpi_environment.h"

namespace mer::mpitest {

// The process's MPI environment (valid during every test).
const comm::MpiEnvironment& Mpi();

}  // namespace mer::mpitest

#endif  // MER_TESTS_INTEGRATION_MPI_GTEST_MAIN_H_
