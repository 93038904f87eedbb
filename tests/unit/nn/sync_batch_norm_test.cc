// Synchronised BatchNorm (common/nn/sync_batch_norm.h) against LibTorch's
// BatchNorm on the whole batch: two threads stand for two ranks (each
// installs its own BatchNormSync, and their sums meet at a barrier), each
// with half the batch; outputs, input gradients, the summed parameter
// gradients and the running statistics must equal the one-batch module's.
#include "common/nn/sync_batch_norm.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <barrier>
#include <thread>
#include <vector>

namespace mer::nn {
namespace {

// An all-reduce between two threads.
class TwoRankSum {
 public:
  void Sum(int rank, double* v, size_t n) {
    slot_[rank].assign(v, v + n);
    barrier_.arrive_and_wait();
    for (size_t i = 0; i < n; ++i) v[i] = slot_[0][i] + slot_[1][i];
    barrier_.arrive_and_wait();
  }

 private:
  std::barrier<> barrier_{2};
  std::vector<double> slot_[2];
};

struct Pass {
  torch::Tensor y, dx, dw, db, running_mean, running_var;
};

// Forward and backward of loss = sum(y * r) through `bn` on `x`.
template <typename BN>
Pass Run(BN& bn, const torch::Tensor& x_in, const torch::Tensor& r) {
  torch::Tensor x = x_in.clone().requires_grad_(true);
  bn->zero_grad();
  torch::Tensor y = ForwardBatchNorm(*bn, x);
  (y * r).sum().backward();
  return {y.detach(),          x.grad(),
          bn->weight.grad().clone(), bn->bias.grad().clone(),
          bn->running_mean.clone(),  bn->running_var.clone()};
}

template <typename BN>
void ExpectTwoHalvesEqualTheWhole(const torch::Tensor& x,
                                  const torch::Tensor& r, BN whole) {
  torch::NoGradGuard no_grad_init;
  whole->weight.uniform_(0.5, 1.5);
  whole->bias.uniform_(-0.5, 0.5);
  BN half[2] = {BN(whole->options), BN(whole->options)};
  for (BN& h : half) {
    h->weight.copy_(whole->weight);
    h->bias.copy_(whole->bias);
  }
  const int64_t b = x.size(0) / 2;
  Pass parts[2];
  Pass full;
  {
    torch::AutoGradMode grad(true);
    full = Run(whole, x, r);
    TwoRankSum sum;
    std::vector<std::thread> ranks;
    for (int k = 0; k < 2; ++k) {
      ranks.emplace_back([&, k] {
        torch::AutoGradMode grad_here(true);
        BatchNormSync sync([&](double* v, size_t n) { sum.Sum(k, v, n); });
        parts[k] = Run(half[k], x.narrow(0, k * b, b), r.narrow(0, k * b, b));
      });
    }
    for (auto& t : ranks) t.join();
  }
  const double tol = 1e-4;
  EXPECT_TRUE(torch::allclose(torch::cat({parts[0].y, parts[1].y}), full.y,
                              tol, tol));
  EXPECT_TRUE(torch::allclose(torch::cat({parts[0].dx, parts[1].dx}),
                              full.dx, tol, tol))
      << (torch::cat({parts[0].dx, parts[1].dx}) - full.dx).abs().max();
  EXPECT_TRUE(torch::allclose(parts[0].dw + parts[1].dw, full.dw, tol, tol));
  EXPECT_TRUE(torch::allclose(parts[0].db + parts[1].db, full.db, tol, tol));
  for (const Pass& p : parts) {
    EXPECT_TRUE(torch::allclose(p.running_mean, full.running_mean, tol, tol));
    EXPECT_TRUE(torch::allclose(p.running_var, full.running_var, tol, tol));
  }
}

TEST(SyncBatchNormTest, TwoRanksWithHalfTheBatchEqualOneWithAllOf2d) {
  torch::manual_seed(3);
  const torch::Tensor x = torch::randn({6, 5, 7, 4}) * 3 + 2;
  const torch::Tensor r = torch::randn({6, 5, 7, 4});
  ExpectTwoHalvesEqualTheWhole(x, r, torch::nn::BatchNorm2d(5));
}

TEST(SyncBatchNormTest, TwoRanksWithHalfTheBatchEqualOneWithAllOf1d) {
  torch::manual_seed(4);
  // [B, C, L] (the input BatchNorm over mel bands) and [B, C].
  const torch::Tensor x3 = torch::randn({8, 6, 9}) * 10 - 40;
  ExpectTwoHalvesEqualTheWhole(x3, torch::randn({8, 6, 9}),
                               torch::nn::BatchNorm1d(6));
  const torch::Tensor x2 = torch::randn({8, 6}) * 0.5 + 1;
  ExpectTwoHalvesEqualTheWhole(x2, torch::randn({8, 6}),
                               torch::nn::BatchNorm1d(6));
}

TEST(SyncBatchNormTest, WithoutASyncOrInEvalModeItIsTheModulesForward) {
  torch::manual_seed(5);
  torch::nn::BatchNorm2d bn(3);
  const torch::Tensor x = torch::randn({4, 3, 5, 5});
  EXPECT_EQ(BatchNormSync::Current(), nullptr);
  EXPECT_TRUE(torch::equal(ForwardBatchNorm(*bn, x), bn->forward(x)));
  BatchNormSync sync([](double*, size_t) { FAIL() << "no reduction in eval"; });
  bn->eval();
  EXPECT_TRUE(torch::equal(ForwardBatchNorm(*bn, x), bn->forward(x)));
}

TEST(SyncBatchNormTest, ARankThatDoesNotContributeAddsNothing) {
  torch::manual_seed(6);
  torch::nn::BatchNorm1d bn(2);
  std::vector<double> seen;
  BatchNormSync sync([&](double* v, size_t n) {
    seen.assign(v, v + n);
    // Another rank's statistics: 4 values per channel, mean 1, var 0.25.
    v[0] += 4;
    for (int c = 0; c < 2; ++c) {
      v[1 + c] += 4 * 1.0;
      v[3 + c] += 4 * (0.25 + 1.0);
    }
  });
  sync.set_contributes(false);
  const torch::Tensor y = ForwardBatchNorm(*bn, torch::full({1, 2}, 1.5f));
  ASSERT_EQ(seen.size(), 5u);
  for (double v : seen) EXPECT_EQ(v, 0.0);
  // Normalised with the other rank's statistics: (1.5 - 1) / 0.5.
  EXPECT_NEAR(y[0][0].item<float>(), 1.0, 1e-3);
}

}  // namespace
}  // namespace mer::nn
