#include "common/nn/sync_batch_norm.h"

#include <torch/torch.h>

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

namespace mer::nn {
namespace {

thread_local BatchNormSync* current_sync = nullptr;

// The reduced dimensions (all but the channels) and the shape that
// broadcasts a per-channel [C] tensor against x.
std::vector<int64_t> ReducedDims(const torch::Tensor& x) {
  std::vector<int64_t> dims = {0};
  for (int64_t d = 2; d < x.dim(); ++d) dims.push_back(d);
  return dims;
}

torch::Tensor PerChannel(const torch::Tensor& v, const torch::Tensor& x) {
  std::vector<int64_t> shape(x.dim(), 1);
  shape[1] = v.size(0);
  return v.view(shape);
}

// Per-channel doubles on the host, for the reduction.
std::vector<double> HostDoubles(const torch::Tensor& t) {
  const torch::Tensor c = t.to(torch::kCPU, torch::kDouble).contiguous();
  return std::vector<double>(c.data_ptr<double>(),
                             c.data_ptr<double>() + c.numel());
}

torch::Tensor DeviceFloats(const double* v, int64_t n,
                           const torch::Tensor& like) {
  // copy: never a view of `v` (a caller's local), whatever like's type.
  return torch::from_blob(const_cast<double*>(v), {n}, torch::kDouble)
      .to(like.options(), /*non_blocking=*/false, /*copy=*/true);
}

// y = (x - mean) / sqrt(var + eps) * weight + bias with the mean and the
// (biased) variance of every rank's x; the backward pass reduces the sums
// of dy and dy * x_hat over the ranks as well, so the gradient of x is the
// gradient of the sum of every rank's loss.
//
// The element-wise work runs in LibTorch's fused BatchNorm kernels, used
// in their inference form with the global statistics as the "running"
// ones: forward, y in one pass; backward, native_batch_norm_backward gives
// dy * w * invstd and this rank's sum(dy) and sum(dy * x_hat) in its
// passes, and the statistics' terms of the training-mode gradient,
//   dx = w * invstd * (dy - mean(dy) - x_hat * mean(dy * x_hat)),
// means over the global batch, are a per-channel a * x + c added in place.
// (A version in plain tensor expressions cost 60 % more per epoch of the
// default crnn on CPU.)
class SyncBatchNormFunction
    : public torch::autograd::Function<SyncBatchNormFunction> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx,
                               const torch::Tensor& x_in,
                               const torch::Tensor& weight,
                               const torch::Tensor& bias,
                               torch::Tensor running_mean,
                               torch::Tensor running_var, double momentum,
                               double eps) {
    BatchNormSync* sync = BatchNormSync::Current();
    const torch::Tensor x = x_in.contiguous();
    const int64_t channels = x.size(1);
    // [count, sum x per channel, sum x^2 per channel], in double: one
    // all-reduce per layer.
    std::vector<double> stats(1 + 2 * channels, 0.0);
    if (sync->contributes() && x.numel() > 0) {
      const double n = static_cast<double>(x.numel() / channels);
      auto [var, mean] = torch::var_mean(x, ReducedDims(x), /*unbiased=*/false);
      const std::vector<double> m = HostDoubles(mean), v = HostDoubles(var);
      stats[0] = n;
      for (int64_t c = 0; c < channels; ++c) {
        stats[1 + c] = n * m[c];
        stats[1 + channels + c] = n * (v[c] + m[c] * m[c]);
      }
    }
    sync->Sum(stats.data(), stats.size());
    const double count = stats[0];
    TORCH_CHECK(count > 1,
                "BatchNorm needs more than one value per channel over all "
                "ranks in training, got ",
                count);
    std::vector<double> mean(channels), var(channels);
    for (int64_t c = 0; c < channels; ++c) {
      mean[c] = stats[1 + c] / count;
      var[c] = std::max(0.0, stats[1 + channels + c] / count - mean[c] * mean[c]);
    }
    const torch::Tensor mean_t = DeviceFloats(mean.data(), channels, x);
    const torch::Tensor var_t = DeviceFloats(var.data(), channels, x);
    running_mean.mul_(1 - momentum).add_(mean_t, momentum);
    running_var.mul_(1 - momentum).add_(var_t * (count / (count - 1)), momentum);
    ctx->save_for_backward({x, weight, mean_t, var_t});
    ctx->saved_data["sync"] = reinterpret_cast<int64_t>(sync);
    ctx->saved_data["count"] = count;
    ctx->saved_data["eps"] = eps;
    ctx->saved_data["contributes"] = sync->contributes();
    return std::get<0>(at::native_batch_norm(x, weight, bias, mean_t, var_t,
                                             /*training=*/false, 0.0, eps));
  }

  static torch::autograd::variable_list backward(
      torch::autograd::AutogradContext* ctx,
      torch::autograd::variable_list grad_out) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor &x = saved[0], &weight = saved[1], &mean = saved[2],
                        &var = saved[3];
    auto* sync =
        reinterpret_cast<BatchNormSync*>(ctx->saved_data["sync"].toInt());
    const double count = ctx->saved_data["count"].toDouble();
    const double eps = ctx->saved_data["eps"].toDouble();
    const torch::Tensor dy = grad_out[0].contiguous();
    const int64_t channels = x.size(1);
    // Inference-form backward: dx = dy * w * invstd, and this rank's
    // sum(dy * x_hat) (the weight's gradient) and sum(dy) (the bias's).
    auto [dx, sum_dy_xhat, sum_dy] = at::native_batch_norm_backward(
        dy, x, weight, mean, var, /*save_mean=*/{}, /*save_invstd=*/{},
        /*train=*/false, eps, {true, true, true});
    std::vector<double> sums = HostDoubles(torch::cat({sum_dy, sum_dy_xhat}));
    sync->Sum(sums.data(), sums.size());
    if (ctx->saved_data["contributes"].toBool()) {
      // dx += a * x + c per channel, from the global means of dy and
      // dy * x_hat (see above), computed in double.
      const std::vector<double> w = HostDoubles(weight), m = HostDoubles(mean),
                                v = HostDoubles(var);
      std::vector<double> a(channels), c(channels);
      for (int64_t k = 0; k < channels; ++k) {
        const double invstd = 1.0 / std::sqrt(v[k] + eps);
        const double mean_dy = sums[k] / count;
        const double mean_dy_xhat = sums[channels + k] / count;
        a[k] = -w[k] * invstd * invstd * mean_dy_xhat;
        c[k] = -w[k] * invstd * mean_dy - a[k] * m[k];
      }
      dx.addcmul_(x, PerChannel(DeviceFloats(a.data(), channels, x), x))
          .add_(PerChannel(DeviceFloats(c.data(), channels, x), x));
    } else {
      // A stand-in batch is not in the statistics: nothing flows back to it.
      dx.zero_();
    }
    // This rank's share of the affine parameters' gradients: the gradient
    // reducer averages them with the other ranks' like every parameter's.
    return {dx,
            sum_dy_xhat,
            sum_dy,
            torch::Tensor(),
            torch::Tensor(),
            torch::Tensor(),
            torch::Tensor()};
  }
};

template <typename Impl>
torch::Tensor Forward(Impl& bn, const torch::Tensor& x) {
  BatchNormSync* sync = BatchNormSync::Current();
  if (sync == nullptr || !bn.is_training()) return bn.forward(x);
  TORCH_CHECK(bn.options.affine() && bn.options.track_running_stats(),
              "synchronised BatchNorm needs affine parameters and running "
              "statistics");
  double momentum = 0.0;
  {
    torch::NoGradGuard no_grad;
    bn.num_batches_tracked.add_(1);
    momentum =
        bn.options.momentum().has_value()
            ? *bn.options.momentum()
            : 1.0 / static_cast<double>(bn.num_batches_tracked.template item<int64_t>());
  }
  return SyncBatchNormFunction::apply(x, bn.weight, bn.bias, bn.running_mean,
                                      bn.running_var, momentum,
                                      bn.options.eps());
}

}  // namespace

BatchNormSync::BatchNormSync(SumFn sum)
    : sum_(std::move(sum)), previous_(current_sync) {
  current_sync = this;
}

BatchNormSync::~BatchNormSync() { current_sync = previous_; }

BatchNormSync* BatchNormSync::Current() { return current_sync; }

torch::Tensor ForwardBatchNorm(torch::nn::BatchNorm1dImpl& bn,
                               const torch::Tensor& x) {
  return Forward(bn, x);
}

torch::Tensor ForwardBatchNorm(torch::nn::BatchNorm2dImpl& bn,
                               const torch::Tensor& x) {
  return Forward(bn, x);
}

}  // namespace mer::nn
