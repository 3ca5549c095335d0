// The oracle denoiser (diffusion/mixture_denoiser.hpp) against brute-force Bayes: E[x_0 | x_t]
// and q(x_t) by quadrature over x_0 of p(x_0) N(x_t; sqrt(ab) x_0, (1 - ab) I), and E[eps | x_t]
// against Tweedie's formula -sqrt(1 - ab) d/dx log q(x_t) by finite differences of the marginal.
#include <catch2/catch.hpp>

#include <cmath>

#include "base/error.hpp"
#include "diffusion/mixture_denoiser.hpp"
#include "diffusion/parameterization.hpp"
#include "support/reverse_executor.hpp"

using namespace diffuse;

namespace {

constexpr double pi = 3.14159265358979323846;

GaussianMixture one_dimensional() {
  return gaussian_mixture_make(Table{0.3, 0.7}, MixtureMatrix{{-1.0}, {1.5}},
                               MixtureMatrix{{0.2}, {0.5}});
}

// gaussians8 scaled unequally per dimension: diagonal, not isotropic, components.
GaussianMixture anisotropic8() {
  return gaussian_mixture_normalized(gaussian_mixture_gaussians8(), Table{0.0, 0.0},
                                     Table{1.4, 0.7});
}

double gauss(double x, double mean, double var) {
  return std::exp(-0.5 * (x - mean) * (x - mean) / var) / std::sqrt(2.0 * pi * var);
}

struct Bayes {
  double evidence;  // q(x_t)
  double mean[2];   // E[x_0 | x_t]
};

// The prior p(x_0) on a grid of step h across [lo, hi]^D (D = 1 or 2), with trapezoid weights;
// the trapezoid rule is spectrally accurate for these Gaussian integrands when h is a small
// fraction of every width.
struct PriorGrid {
  double lo, h;
  int n;                   // intervals per dimension
  std::size_t D;
  std::vector<double> w;   // (n + 1)^D weight * p(x_0) * h^D, row-major over (i, j)
};
PriorGrid prior_on_grid(const GaussianMixture& m, double lo, double hi, double h) {
  PriorGrid g{lo, h, int(std::lround((hi - lo) / h)), m.dims(), {}};
  const int ny = g.D == 2 ? g.n : 0;
  for (int i = 0; i <= g.n; ++i) {
    for (int j = 0; j <= ny; ++j) {
      const double x0[2] = {lo + i * h, lo + j * h};
      double prior = 0.0;
      for (std::size_t k = 0; k < m.components(); ++k) {
        double term = m.weights(k);
        for (std::size_t d = 0; d < g.D; ++d) {
          term *= gauss(x0[d], m.means(k, d), m.stds(k, d) * m.stds(k, d));
        }
        prior += term;
      }
      const double trapezoid = (i == 0 || i == g.n ? 0.5 : 1.0) *
                               (g.D == 2 && (j == 0 || j == g.n) ? 0.5 : 1.0);
      g.w.push_back(trapezoid * prior * std::pow(h, double(g.D)));
    }
  }
  return g;
}

// Bayes by quadrature over x_0: p(x_0) N(x_t; sqrt(ab) x_0, (1 - ab) I), normalized.
Bayes bayes_by_quadrature(const PriorGrid& g, const double* x_t, double ab) {
  // The likelihood factors over dimensions: one table per dimension.
  std::vector<double> likelihood[2];
  for (std::size_t d = 0; d < g.D; ++d) {
    for (int i = 0; i <= g.n; ++i) {
      likelihood[d].push_back(gauss(x_t[d], std::sqrt(ab) * (g.lo + i * g.h), 1 - ab));
    }
  }
  const int ny = g.D == 2 ? g.n : 0;
  Bayes out{0.0, {0.0, 0.0}};
  for (int i = 0; i <= g.n; ++i) {
    for (int j = 0; j <= ny; ++j) {
      const double l = likelihood[0][i] * (g.D == 2 ? likelihood[1][j] : 1.0);
      const double w = g.w[std::size_t(i) * (ny + 1) + j] * l;
      out.evidence += w;
      out.mean[0] += w * (g.lo + i * g.h);
      out.mean[1] += w * (g.lo + j * g.h);
    }
  }
  for (std::size_t d = 0; d < g.D; ++d) out.mean[d] /= out.evidence;
  return out;
}

double marginal_log_density(const GaussianMixture& data, double ab, double x) {
  Table out;
  gaussian_mixture_log_density(out, mixture_marginal(data, ab), Tensor2{{float(x)}});
  return out(0);
}

}  // namespace

TEST_CASE("oracle E[x0 | x_t] and q(x_t) equal Bayes by quadrature in 1D") {
  const NoiseSchedule s = schedule_make({});
  const GaussianMixture data = one_dimensional();
  MixtureDenoiser oracle(data, s, Prediction::x0);
  const PriorGrid grid = prior_on_grid(data, -5.0, 6.0, 0.002);
  for (int t : {0, 10, 100, 300, 600, 999}) {
    const double ab = s.alpha_bar(t);
    for (double x : {-2.0, -0.7, 0.1, 1.2, 2.5}) {
      const double x_t[1] = {double(float(x))};
      const Bayes bayes = bayes_by_quadrature(grid, x_t, ab);
      MixtureMatrix mean;
      oracle.posterior_mean_x0(mean, Tensor2{{float(x)}}, Steps{t}, nullptr, serial_executor());
      CHECK(mean(0, 0) == Approx(bayes.mean[0]).margin(1e-9));
      CHECK(marginal_log_density(data, ab, x) == Approx(std::log(bayes.evidence)).margin(1e-9));
    }
  }
}

TEST_CASE("oracle E[x0 | x_t] equals Bayes by quadrature for diagonal components in 2D") {
  const NoiseSchedule s = schedule_make({});
  const GaussianMixture data = anisotropic8();
  MixtureDenoiser oracle(data, s, Prediction::x0);
  // Narrowest prior width 0.1 / 1.4 = 0.071: step 0.007 (1200 steps); the box reaches 9 widths
  // beyond the farthest centre, 2 / 0.7 = 2.86 (widths 0.14).
  const PriorGrid grid = prior_on_grid(data, -4.2, 4.2, 0.007);
  for (int t : {0, 50, 250, 700}) {
    const double ab = s.alpha_bar(t);
    for (auto point : {std::pair{1.3, 0.4}, std::pair{-0.2, -2.1}, std::pair{0.05, 0.0}}) {
      const double x_t[2] = {double(float(point.first)), double(float(point.second))};
      const Bayes bayes = bayes_by_quadrature(grid, x_t, ab);
      MixtureMatrix mean;
      oracle.posterior_mean_x0(mean, Tensor2{{float(x_t[0]), float(x_t[1])}}, Steps{t}, nullptr,
                               serial_executor());
      CHECK(mean(0, 0) == Approx(bayes.mean[0]).margin(1e-8));
      CHECK(mean(0, 1) == Approx(bayes.mean[1]).margin(1e-8));
    }
  }
}

TEST_CASE("oracle eps is Tweedie's -sqrt(1 - ab) grad log q(x_t)") {
  // Five-point central difference with h = 2^-6 (exact in float and double): error
  // h^4 / 30 |f^(5)|, below 1e-7 for these log densities of width >= 0.2.
  const NoiseSchedule s = schedule_make({});
  const GaussianMixture data = one_dimensional();
  MixtureDenoiser oracle(data, s, Prediction::eps);
  const double h = 1.0 / 64;
  for (int t : {5, 200, 800}) {
    const double ab = s.alpha_bar(t);
    for (double x : {-1.25, 0.5, 1.75}) {
      const double slope = (-marginal_log_density(data, ab, x + 2 * h) +
                            8 * marginal_log_density(data, ab, x + h) -
                            8 * marginal_log_density(data, ab, x - h) +
                            marginal_log_density(data, ab, x - 2 * h)) / (12 * h);
      Tensor2 eps;
      oracle.predict(eps, Tensor2{{float(x)}}, Steps{t}, serial_executor());
      CHECK(eps(0, 0) == Approx(-std::sqrt(1 - ab) * slope).margin(1e-5));
    }
  }
}

TEST_CASE("oracle eps, x0 and v outputs describe the same x0 estimate") {
  const NoiseSchedule s = schedule_make({});
  const GaussianMixture data = anisotropic8();
  MixtureDenoiser as_x0(data, s, Prediction::x0), as_eps(data, s, Prediction::eps),
      as_v(data, s, Prediction::v);
  const Tensor2 x_t = {{0.3f, -1.1f}, {2.0f, 0.2f}, {-0.7f, 0.9f}};
  const Steps t = {3, 400, 950};
  Tensor2 x0, eps, v, from_eps, from_v;
  as_x0.predict(x0, x_t, t, serial_executor());
  as_eps.predict(eps, x_t, t, serial_executor());
  as_v.predict(v, x_t, t, serial_executor());
  x0_from_eps(from_eps, x_t, eps, t, s);
  x0_from_v(from_v, x_t, v, t, s);
  for (std::size_t i = 0; i < x0.size(); ++i) {
    // float rounding of eps amplified by sqrt(1 - ab) / sqrt(ab) <= 1 / sqrt(ab_950) ~ 60.
    CHECK(from_eps.data()[i] == Approx(x0.data()[i]).margin(1e-4));
    CHECK(from_v.data()[i] == Approx(x0.data()[i]).margin(1e-5));
  }
}

TEST_CASE("with zero terminal SNR the oracle predicts the data mean at the last step") {
  ScheduleConfig config;
  config.zero_terminal_snr = true;
  const NoiseSchedule s = schedule_make(config);
  const GaussianMixture data = one_dimensional();
  MixtureDenoiser oracle(data, s, Prediction::v);
  const Tensor2 x_t = {{-3.0f}, {0.4f}};
  Tensor2 v;
  oracle.predict(v, x_t, Steps{999, 999}, serial_executor());
  // ab = 0: x0_hat = E[x_0] = 0.3 * -1 + 0.7 * 1.5 = 0.75, and v = -x0_hat.
  CHECK(v(0, 0) == Approx(-0.75).margin(1e-6));
  CHECK(v(1, 0) == Approx(-0.75).margin(1e-6));
}

TEST_CASE("oracle predictions do not depend on how rows are split into tasks") {
  const NoiseSchedule s = schedule_make({});
  MixtureDenoiser oracle(anisotropic8(), s, Prediction::eps);
  Tensor2 x_t = Tensor2::from_shape({1000, 2});
  Steps t = Steps::from_shape({1000});
  for (std::size_t b = 0; b < 1000; ++b) {
    x_t(b, 0) = float(std::sin(0.37 * b) * 2);
    x_t(b, 1) = float(std::cos(0.11 * b) * 2);
    t(b) = int(b % 1000);
  }
  Tensor2 serial, reversed;
  oracle.predict(serial, x_t, t, serial_executor());
  oracle.predict(reversed, x_t, t, test::ReverseExecutor());
  CHECK(bool(serial == reversed));
}
