#include "data/gaussian_mixture.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "base/check.hpp"
#include "base/error.hpp"

namespace diffuse {
namespace {

constexpr double pi = 3.14159265358979323846;
constexpr double log_two_pi = 1.83787706640934548356;

bool positive_finite(double v) { return std::isfinite(v) && v > 0.0; }

// log sum_k exp(v_k) over one row of K values, shifted by the maximum so nothing overflows.
double log_sum_exp(const double* v, std::size_t K) {
  double peak = -std::numeric_limits<double>::infinity();
  for (std::size_t k = 0; k < K; ++k) peak = std::max(peak, v[k]);
  if (!std::isfinite(peak)) return peak;
  double sum = 0.0;
  for (std::size_t k = 0; k < K; ++k) sum += std::exp(v[k] - peak);
  return peak + std::log(sum);
}

GaussianMixture equal_weights(MixtureMatrix means, double std) {
  const std::size_t K = means.shape(0);
  Table weights = Table::from_shape({K});
  weights.fill(1.0 / static_cast<double>(K));
  Table stds = Table::from_shape({K});
  stds.fill(std);
  return gaussian_mixture_isotropic(std::move(weights), std::move(means), stds);
}

}  // namespace

void gaussian_mixture_validate(const GaussianMixture& m) {
  const std::size_t K = m.weights.size();
  if (K == 0) fail("gaussian mixture has 0 components: must have at least 1");
  if (m.means.shape(0) != K || m.stds.shape(0) != K) {
    fail("gaussian mixture shapes disagree: ", K, " weights, ", m.means.shape(0), " means, ",
         m.stds.shape(0), " stds rows: all must equal the number of components");
  }
  if (m.means.shape(1) == 0 || m.stds.shape(1) != m.means.shape(1)) {
    fail("gaussian mixture dimensions disagree: means have ", m.means.shape(1), " columns, stds ",
         m.stds.shape(1), ": must be equal and at least 1");
  }
  double total = 0.0;
  for (std::size_t k = 0; k < K; ++k) {
    if (!positive_finite(m.weights(k))) {
      fail("gaussian mixture weight ", k, " = ", m.weights(k), ": must be positive and finite");
    }
    total += m.weights(k);
  }
  if (std::abs(total - 1.0) > 1e-9) {
    fail("gaussian mixture weights sum to ", total, ": must sum to 1 (within 1e-9)");
  }
  for (std::size_t k = 0; k < K; ++k) {
    for (std::size_t d = 0; d < m.means.shape(1); ++d) {
      if (!std::isfinite(m.means(k, d))) {
        fail("gaussian mixture mean (", k, ", ", d, ") = ", m.means(k, d), ": must be finite");
      }
      if (!positive_finite(m.stds(k, d))) {
        fail("gaussian mixture std (", k, ", ", d, ") = ", m.stds(k, d),
             ": must be positive and finite");
      }
    }
  }
}

GaussianMixture gaussian_mixture_make(Table weights, MixtureMatrix means, MixtureMatrix stds) {
  GaussianMixture m{std::move(weights), std::move(means), std::move(stds)};
  gaussian_mixture_validate(m);
  double total = 0.0;
  for (std::size_t k = 0; k < m.weights.size(); ++k) total += m.weights(k);
  for (std::size_t k = 0; k < m.weights.size(); ++k) m.weights(k) /= total;
  return m;
}

GaussianMixture gaussian_mixture_isotropic(Table weights, MixtureMatrix means, const Table& stds) {
  if (stds.size() != means.shape(0)) {
    fail("gaussian mixture has ", means.shape(0), " means but ", stds.size(),
         " stds: need one std per component");
  }
  MixtureMatrix full = MixtureMatrix::from_shape(means.shape());
  for (std::size_t k = 0; k < full.shape(0); ++k) {
    for (std::size_t d = 0; d < full.shape(1); ++d) full(k, d) = stds(k);
  }
  return gaussian_mixture_make(std::move(weights), std::move(means), std::move(full));
}

GaussianMixture gaussian_mixture_gaussians8() {
  MixtureMatrix means = MixtureMatrix::from_shape({8, 2});
  for (std::size_t k = 0; k < 8; ++k) {
    const double angle = 2.0 * pi * static_cast<double>(k) / 8.0;
    means(k, 0) = 2.0 * std::cos(angle);
    means(k, 1) = 2.0 * std::sin(angle);
  }
  return equal_weights(std::move(means), 0.1);
}

GaussianMixture gaussian_mixture_gaussians25() {
  MixtureMatrix means = MixtureMatrix::from_shape({25, 2});
  for (std::size_t i = 0; i < 5; ++i) {
    for (std::size_t j = 0; j < 5; ++j) {
      means(5 * i + j, 0) = static_cast<double>(i) - 2.0;
      means(5 * i + j, 1) = static_cast<double>(j) - 2.0;
    }
  }
  return equal_weights(std::move(means), 0.05);
}

std::vector<std::string> gaussian_mixture_names() { return {"gaussians8", "gaussians25"}; }

GaussianMixture gaussian_mixture_from_name(std::string_view name) {
  if (name == "gaussians8") return gaussian_mixture_gaussians8();
  if (name == "gaussians25") return gaussian_mixture_gaussians25();
  fail("no known mixture density for data set '", name, "': allowed are gaussians8, gaussians25");
}

void gaussian_mixture_log_joint(MixtureMatrix& out, const GaussianMixture& m, const Tensor2& x) {
  const std::size_t B = x.shape(0), D = m.dims(), K = m.components();
  DIFFUSE_ASSERT(x.shape(1) == D);
  // Per component: log w_k - sum_d (log s_kd + log(2 pi) / 2).
  std::vector<double> constant(K);
  for (std::size_t k = 0; k < K; ++k) {
    double c = std::log(m.weights(k));
    for (std::size_t d = 0; d < D; ++d) c -= std::log(m.stds(k, d)) + 0.5 * log_two_pi;
    constant[k] = c;
  }
  out.resize({B, K});
  for (std::size_t b = 0; b < B; ++b) {
    for (std::size_t k = 0; k < K; ++k) {
      double quadratic = 0.0;
      for (std::size_t d = 0; d < D; ++d) {
        const double z = (static_cast<double>(x(b, d)) - m.means(k, d)) / m.stds(k, d);
        quadratic += z * z;
      }
      out(b, k) = constant[k] - 0.5 * quadratic;
    }
  }
}

void gaussian_mixture_log_density(Table& out, const GaussianMixture& m, const Tensor2& x) {
  MixtureMatrix joint;
  gaussian_mixture_log_joint(joint, m, x);
  const std::size_t B = x.shape(0), K = m.components();
  out.resize({B});
  for (std::size_t b = 0; b < B; ++b) out(b) = log_sum_exp(&joint(b, 0), K);
}

void gaussian_mixture_assign(std::vector<int>& components, const GaussianMixture& m,
                             const Tensor2& x) {
  MixtureMatrix joint;
  gaussian_mixture_log_joint(joint, m, x);
  const std::size_t B = x.shape(0), K = m.components();
  components.resize(B);
  for (std::size_t b = 0; b < B; ++b) {
    const double* row = &joint(b, 0);
    components[b] = static_cast<int>(std::max_element(row, row + K) - row);
  }
}

void gaussian_mixture_sample(Tensor2& x, std::vector<int>* components, const GaussianMixture& m,
                             std::size_t n, Rng& rng) {
  const std::size_t D = m.dims(), K = m.components();
  std::vector<float> u(n);
  rng.fill_uniform(u.data(), n);
  x.resize({n, D});
  rng.fill_normal(x.data(), n * D);
  if (components) components->resize(n);
  for (std::size_t b = 0; b < n; ++b) {
    // Inverse CDF: the first k whose cumulative weight exceeds u (the last one if rounding leaves
    // the total just below u).
    std::size_t k = 0;
    double cumulative = m.weights(0);
    while (k + 1 < K && static_cast<double>(u[b]) >= cumulative) cumulative += m.weights(++k);
    for (std::size_t d = 0; d < D; ++d) {
      x(b, d) = static_cast<float>(m.means(k, d) + m.stds(k, d) * static_cast<double>(x(b, d)));
    }
    if (components) (*components)[b] = static_cast<int>(k);
  }
}

Table gaussian_mixture_mean(const GaussianMixture& m) {
  Table mean = Table::from_shape({m.dims()});
  mean.fill(0.0);
  for (std::size_t k = 0; k < m.components(); ++k) {
    for (std::size_t d = 0; d < m.dims(); ++d) mean(d) += m.weights(k) * m.means(k, d);
  }
  return mean;
}

Table gaussian_mixture_variance(const GaussianMixture& m) {
  const Table mean = gaussian_mixture_mean(m);
  Table variance = Table::from_shape({m.dims()});
  variance.fill(0.0);
  for (std::size_t k = 0; k < m.components(); ++k) {
    for (std::size_t d = 0; d < m.dims(); ++d) {
      // Second moment about the overall mean, so no large terms cancel.
      const double offset = m.means(k, d) - mean(d);
      variance(d) += m.weights(k) * (m.stds(k, d) * m.stds(k, d) + offset * offset);
    }
  }
  return variance;
}

GaussianMixture gaussian_mixture_normalized(const GaussianMixture& m, const Table& shift,
                                            const Table& scale) {
  const std::size_t D = m.dims();
  if (shift.size() != D || scale.size() != D) {
    fail("normalization has ", shift.size(), " means and ", scale.size(), " stds for a ", D,
         "-dimensional mixture: need ", D, " of each");
  }
  for (std::size_t d = 0; d < D; ++d) {
    if (!positive_finite(scale(d))) {
      fail("normalization std ", d, " = ", scale(d), ": must be positive and finite");
    }
    if (!std::isfinite(shift(d))) {
      fail("normalization mean ", d, " = ", shift(d), ": must be finite");
    }
  }
  GaussianMixture out = m;
  for (std::size_t k = 0; k < m.components(); ++k) {
    for (std::size_t d = 0; d < D; ++d) {
      out.means(k, d) = (m.means(k, d) - shift(d)) / scale(d);
      out.stds(k, d) = m.stds(k, d) / scale(d);
    }
  }
  return out;
}

}  // namespace diffuse
