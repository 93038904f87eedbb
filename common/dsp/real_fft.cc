#include "common/dsp/real_fft.h"

#include <fftw3.h>

#include <algorithm>
#include <map>
#include <utility>

#include "common/core/check.h"

namespace mer::dsp {
namespace {

struct PlanDeleter {
  void operator()(fftw_plan_s* plan) const {
    // Destruction happens at process exit, from the cache's destructor; the
    // cache and the mutex live in one object, so the mutex is still alive.
    fftw_destroy_plan(plan);
  }
};
using PlanPtr = std::unique_ptr<fftw_plan_s, PlanDeleter>;

struct PlanCache {
  std::mutex mu;
  std::map<int, PlanPtr> plans;  // guarded by mu; size -> r2c plan
};

PlanCache& Cache() {
  static PlanCache cache;
  return cache;
}

double* AllocDoubles(size_t n) {
  auto* p = static_cast<double*>(fftw_malloc(sizeof(double) * n));
  MER_CHECK_MSG(p != nullptr, "fftw_malloc failed");
  return p;
}

// The process-wide plan for size n, made on first use. Plans are made on
// scratch fftw_malloc buffers: every RealFft buffer comes from fftw_malloc
// too, so it has the alignment fftw_execute_dft_r2c requires.
fftw_plan PlanFor(int n) {
  MER_CHECK(n >= 1);
  PlanCache& cache = Cache();
  std::lock_guard<std::mutex> lock(cache.mu);
  auto it = cache.plans.find(n);
  if (it != cache.plans.end()) return it->second.get();
  double* in = AllocDoubles(n);
  double* out = AllocDoubles(2 * (n / 2 + 1));
  fftw_plan plan = fftw_plan_dft_r2c_1d(
      n, in, reinterpret_cast<fftw_complex*>(out), FFTW_ESTIMATE);
  fftw_free(in);
  fftw_free(out);
  MER_CHECK_MSG(plan != nullptr, "fftw_plan_dft_r2c_1d failed");
  cache.plans.emplace(n, PlanPtr(plan));
  return plan;
}

}  // namespace

std::mutex& FftwPlannerMutex() { return Cache().mu; }

void RealFft::FftwFree::operator()(double* p) const { fftw_free(p); }

RealFft::RealFft(int n)
    : n_(n),
      plan_(PlanFor(n)),
      input_(AllocDoubles(n)),
      output_(AllocDoubles(2 * (n / 2 + 1))) {
  std::fill(input_.get(), input_.get() + n, 0.0);
}

RealFft::~RealFft() = default;
RealFft::RealFft(RealFft&&) noexcept = default;
RealFft& RealFft::operator=(RealFft&&) noexcept = default;

void RealFft::Execute() {
  fftw_execute_dft_r2c(static_cast<fftw_plan>(plan_), input_.get(),
                       reinterpret_cast<fftw_complex*>(output_.get()));
}

}  // namespace mer::dsp
