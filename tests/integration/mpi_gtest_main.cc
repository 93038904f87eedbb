#include "tests/integration/mpi_gtest_main.h"

#include <gtest/gtest.h>
#include <mpi.h>

#include <cstdio>
#include <memory>

namespace mer::mpitest {
namespace {

comm::MpiEnvironment* g_env = nullptr;

// Prints failures from every rank and aborts the job at the end of a failed
// test, before peers can block on the failed rank.
class AbortOnFailure : public ::testing::EmptyTestEventListener {
 public:
  explicit AbortOnFailure(int rank) : rank_(rank) {}

  void OnTestPartResult(const ::testing::TestPartResult& r) override {
    if (!r.failed()) return;
    std::fprintf(stderr, "[r%d] FAILURE at %s:%d\n%s\n", rank_,
                 r.file_name() ? r.file_name() : "?", r.line_number(),
                 r.message());
    std::fflush(stderr);
  }

  void OnTestEnd(const ::testing::TestInfo& info) override {
    if (!info.result()->Failed()) return;
    std::fprintf(stderr, "[r%d] %s.%s failed: aborting the MPI job\n", rank_,
                 info.test_suite_name(), info.name());
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, 1);
  }

 private:
  int rank_;
};

}  // namespace

const comm::MpiEnvironment& Mpi() { return *g_env; }

}  // namespace mer::mpitest

int main(int argc, char** argv) {
  auto env = mer::comm::MpiEnvironment::Init(&argc, &argv);
  if (!env.ok()) {
    std::fprintf(stderr, "MPI init failed: %s\n",
                 env.status().ToString().c_str());
    return 2;
  }
  std::unique_ptr<mer::comm::MpiEnvironment> mpi = std::move(env).value();
  mer::mpitest::g_env = mpi.get();

  ::testing::InitGoogleTest(&argc, argv);
  ::testing::GTEST_FLAG(shuffle) = false;  // same order on every rank
  ::testing::TestEventListeners& listeners =
      ::testing::UnitTest::GetInstance()->listeners();
  if (mpi->rank() != 0) {
    delete listeners.Release(listeners.default_result_printer());
  }
  // gtest owns appended listeners.
  listeners.Append(new mer::mpitest::AbortOnFailure(mpi->rank()));

  const int local = RUN_ALL_TESTS();
  int any = local;
  MPI_Allreduce(&local, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  mer::mpitest::g_env = nullptr;
  return any;
}
