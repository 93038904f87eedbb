// NcclGradientReducer over a real NCCL communicator. Runs only where a CUDA
// device is visible; otherwise it says why it skipped.
#include "common/comm/nccl_reducer.h"

#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <cmath>
#include <span>
#include <string>
#include <vector>

#include "common/comm/communicator.h"
#include "common/comm/nccl_check.h"
#include "tests/integration/mpi_gtest_main.h"

namespace mer::comm {
namespace {

using mpitest::Mpi;

// The destructor's destroy-or-abort choice (no device needed): a clean
// communicator is destroyed; one whose async-error query failed or reported
// an error is aborted, since a destroy would wait for work that never ends.
TEST(NcclCommunicatorTest, AbortsInsteadOfDestroyingAfterAnAsyncError) {
  EXPECT_FALSE(NcclMustAbort(ncclSuccess, ncclSuccess));
  EXPECT_TRUE(NcclMustAbort(ncclSuccess, ncclSystemError));
  EXPECT_TRUE(NcclMustAbort(ncclSuccess, ncclRemoteError));
  EXPECT_TRUE(NcclMustAbort(ncclInvalidArgument, ncclSuccess));
}

TEST(NcclCommunicatorTest, WithoutADeviceCreateSaysNotSupported) {
  if (CudaDeviceCount() > 0) {
    GTEST_SKIP() << "a CUDA device is visible; the no-device path is not "
                    "reachable here";
  }
  Communicator world = Communicator::DuplicateWorld();
  auto nccl = NcclCommunicator::Create(&world, 0);
  ASSERT_FALSE(nccl.ok());
  EXPECT_TRUE(nccl.status().IsNotSupported()) << nccl.status().ToString();
}

TEST(NcclGradientReducerTest, AveragesDeviceBuffersOfOddSizes) {
  const int devices = CudaDeviceCount();
  if (devices == 0) {
    GTEST_SKIP() << "no CUDA device: cudaGetDeviceCount reports none";
  }
  const MpiEnvironment& env = Mpi();
  if (env.local_size() > devices) {
    GTEST_SKIP() << "NCCL needs one GPU per rank: " << env.local_size()
                 << " ranks on this node, " << devices << " devices";
  }
  Communicator world = Communicator::DuplicateWorld();
  auto nccl = NcclCommunicator::Create(&world, env.local_rank() % devices);
  ASSERT_TRUE(nccl.ok()) << nccl.status().ToString();
  NcclGradientReducer reducer(nccl->get());

  const std::vector<size_t> sizes = {1, 7, 1000, 3, 0, 513, 100'003};
  std::vector<float*> device(sizes.size(), nullptr);
  std::vector<std::span<float>> spans;
  auto value = [](int rank, size_t b, size_t i) {
    return float((rank + 1) * int((i * 7 + b * 3) % 101) - 50);
  };
  for (size_t b = 0; b < sizes.size(); ++b) {
    std::vector<float> host(sizes[b]);
    for (size_t i = 0; i < sizes[b]; ++i) host[i] = value(env.rank(), b, i);
    if (sizes[b] > 0) {
      MER_CUDA_CHECK(cudaMalloc(&device[b], sizes[b] * sizeof(float)));
      MER_CUDA_CHECK(cudaMemcpy(device[b], host.data(),
                                sizes[b] * sizeof(float),
                                cudaMemcpyHostToDevice));
    }
    spans.emplace_back(device[b], sizes[b]);
  }
  ASSERT_TRUE(reducer.AverageInPlace(spans).ok());
  for (size_t b = 0; b < sizes.size(); ++b) {
    std::vector<float> host(sizes[b]);
    if (sizes[b] > 0) {
      MER_CUDA_CHECK(cudaMemcpy(host.data(), device[b],
                                sizes[b] * sizeof(float),
                                cudaMemcpyDeviceToHost));
    }
    for (size_t i = 0; i < sizes[b]; ++i) {
      float sum = 0;
      for (int r = 0; r < env.size(); ++r) sum += value(r, b, i);
      // ncclAvg may scale before summing: allow one rounding step.
      ASSERT_NEAR(host[i], sum / env.size(), 1e-5f * (1 + std::abs(sum)))
          << "buffer " << b << " element " << i;
    }
    if (device[b] != nullptr) MER_CUDA_CHECK(cudaFree(device[b]));
  }
}

}  // namespace
}  // namespace mer::comm
