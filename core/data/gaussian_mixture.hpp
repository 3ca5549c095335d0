#pragma once
// A Gaussian mixture with diagonal covariances, p(x) = sum_k w_k N(x; mu_k, diag(s_k^2)), as a
// data distribution whose density is known exactly: the `gaussians8` and `gaussians25` data sets
// of docs/reference-workload.md are such mixtures (isotropic components), and so is each of them
// after the per-dimension normalization (x - mean) / std used for training (the scaling makes the
// components axis-aligned diagonal, which is why covariances here are diagonal, not isotropic).
//
// It serves as "the known density" of those sets (exact log density for ELBO checks, exact
// moments, component assignment for mode-coverage checks) and, through
// diffusion/mixture_denoiser.hpp, as the data distribution of the exact (oracle) denoiser.
// Parameters are float64; points are the project's float rows (B, D).
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/rng.hpp"
#include "base/tensor.hpp"

namespace diffuse {

using MixtureMatrix = xt::xtensor<double, 2>;  // float64 parameters and results, (K, D) or (B, K)

struct GaussianMixture {
  Table weights;  // (K,) positive, summing to 1
  MixtureMatrix means;   // (K, D)
  MixtureMatrix stds;    // (K, D) per-dimension standard deviations, positive

  std::size_t components() const { return weights.size(); }  // K
  std::size_t dims() const { return means.shape(1); }        // D
};

// Validates and builds: shapes agree, K >= 1, D >= 1, weights positive and summing to 1 within
// 1e-9 (then renormalized exactly), means finite, stds positive and finite. Throws Error naming the
// first bad field, its value and what is allowed.
GaussianMixture gaussian_mixture_make(Table weights, MixtureMatrix means, MixtureMatrix stds);
// Isotropic components: component k has standard deviation stds(k) in every dimension.
GaussianMixture gaussian_mixture_isotropic(Table weights, MixtureMatrix means, const Table& stds);
void gaussian_mixture_validate(const GaussianMixture& mixture);

// The data sets of docs/reference-workload.md: `gaussians8`, eight equal components at
// 2 (cos(2 pi k / 8), sin(2 pi k / 8)), std 0.1; `gaussians25`, 25 equal components on the grid
// {-2, -1, 0, 1, 2}^2 (component 5 i + j at (i - 2, j - 2)), std 0.05.
GaussianMixture gaussian_mixture_gaussians8();
GaussianMixture gaussian_mixture_gaussians25();
// "gaussians8" or "gaussians25"; other names throw Error listing the allowed ones.
GaussianMixture gaussian_mixture_from_name(std::string_view name);
std::vector<std::string> gaussian_mixture_names();

// log N(x; mu_k, diag(s_k^2)) + log w_k for every row and component.   out: (B, K); x: (B, D)
void gaussian_mixture_log_joint(MixtureMatrix& out, const GaussianMixture& mixture,
                                const Tensor2& x);
// log p(x) by log-sum-exp over components.                               out: (B,); x: (B, D)
void gaussian_mixture_log_density(Table& out, const GaussianMixture& mixture, const Tensor2& x);
// The most probable component of each row (argmax of the responsibility).  x: (B, D)
void gaussian_mixture_assign(std::vector<int>& components, const GaussianMixture& mixture,
                             const Tensor2& x);

// n independent draws: per row one uniform picks the component (inverse CDF of the weights), then
// D normals. Consumes the rng in that order (all n uniforms, then n * D normals).
// x: (n, D); components (optional, may be null): the component of each row.
void gaussian_mixture_sample(Tensor2& x, std::vector<int>* components,
                             const GaussianMixture& mixture, std::size_t n, Rng& rng);

// Exact moments: mean_d = sum_k w_k mu_kd; variance_d = sum_k w_k (s_kd^2 + mu_kd^2) - mean_d^2.
Table gaussian_mixture_mean(const GaussianMixture& mixture);      // (D,)
Table gaussian_mixture_variance(const GaussianMixture& mixture);   // (D,)

// The distribution of y = (x - shift) / scale (per dimension) for x ~ mixture: means
// (mu_k - shift) / scale, stds s_k / scale. Its log density is log p(x) + sum_d log scale_d.
// shift, scale: (D,); scale positive.
GaussianMixture gaussian_mixture_normalized(const GaussianMixture& mixture, const Table& shift,
                                            const Table& scale);

}  // namespace diffuse
