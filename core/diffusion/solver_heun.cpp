// heun (diffusion/solvers.hpp): Euler predictor on even calls, trapezoidal corrector on odd ones.
//
// The corrector y' = y + dt (d + d') / 2 with d' = (y_pred - x0_hat') / sigma' multiplies any error
// in the predicted state y_pred by dt / (2 sigma'), which is about 1800 for the cosine schedule's
// first step (sigma from 2e4 to 5.7). y_pred = y + dt d is itself a cancellation of terms near
// 2e4, so a float32 y_pred would carry an error near 1e-3 into the result as ~2 (diffusers' float32
// Heun is off by O(1) there for x0 models). The solver therefore keeps y, d and y_pred in double;
// only the reported state is rounded to float32.
#include <vector>

#include "diffusion/row_tasks.hpp"
#include "diffusion/solvers.hpp"

namespace diffuse {
namespace {

class HeunSolver final : public Solver {
 public:
  explicit HeunSolver(const SamplerPlan& plan) : plan_(plan) {}

  bool noisy(int) const override { return false; }

  void step(Tensor2& state, const Tensor2& x0_hat, const Tensor2& z, int k,
            const Executor& executor) override {
    (void)z;
    const auto i = static_cast<std::size_t>(k);
    const std::size_t size = state.size();
    float* y = state.data();
    const float* x0 = x0_hat.data();
    if (k % 2 == 0) {
      // d = (y - x0_hat) / sigma; keep y, d and dt; y' = y + dt d.
      const double sigma = plan_.sigmas[i];
      dt_ = plan_.sigmas[i + 1] - sigma;
      kept_.resize(size);
      derivative_.resize(size);
      predicted_.resize(size);
      for_each_row(state, executor, [&](std::size_t j) {
        kept_[j] = y[j];
        derivative_[j] = (kept_[j] - x0[j]) / sigma;
        predicted_[j] = kept_[j] + dt_ * derivative_[j];
        y[j] = static_cast<float>(predicted_[j]);
      });
      return;
    }
    // At the predicted point (level sigma_k = sigma_{k-1} + dt): d' = (y_pred - x0_hat) / sigma_k;
    // y' = y_kept + dt (d + d') / 2.
    const double sigma = plan_.sigmas[i];
    for_each_row(state, executor, [&](std::size_t j) {
      const double d_new = (predicted_[j] - x0[j]) / sigma;
      y[j] = static_cast<float>(kept_[j] + dt_ * 0.5 * (derivative_[j] + d_new));
    });
  }

 private:
  // element(j) for every element j of the (n, D) state, rows split over the executor.
  template <typename Element>
  static void for_each_row(const Tensor2& state, const Executor& executor, const Element& element) {
    const std::size_t D = state.shape(1);
    run_rows(state.shape(0), executor, [&](std::size_t b) {
      for (std::size_t j = b * D; j < (b + 1) * D; ++j) element(j);
    });
  }

  SamplerPlan plan_;  // a copy: a sampler may be moved
  double dt_ = 0.0;
  std::vector<double> kept_, derivative_, predicted_;  // (n D) y, d and y_pred of the last even call
};

}  // namespace

std::unique_ptr<Solver> solver_heun(const SamplerPlan& plan) {
  return std::make_unique<HeunSolver>(plan);
}

}  // namespace diffuse
