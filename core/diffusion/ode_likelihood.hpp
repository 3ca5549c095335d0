#pragma once
// The exact negative log-likelihood of a diffusion model through its probability-flow ODE (Song et
// al. 2021, "Score-based generative modeling through stochastic differential equations", section
// 4.3 and appendix D.2), with the instantaneous change of variables (Chen et al. 2018, "Neural
// ordinary differential equations", theorem 1). docs/likelihood.md has the measurements.
//
// The ODE, in the sigma form of diffusion/sigmas.hpp. With x_t = sqrt(ab) x_0 + sqrt(1 - ab) eps
// and y = x_t / sqrt(ab) = x_0 + sigma eps, sigma = sqrt((1 - ab) / ab), the marginals p_sigma
// of y are the data convolved with N(0, sigma^2 I), and they are transported by
//   dy/dsigma = F(y, sigma) = (y - D(y, sigma)) / sigma = -sigma grad_y log p_sigma(y)
// (Karras et al. 2022 eq. 4 with Tweedie's D = E[x_0 | y] = y + sigma^2 grad log p_sigma), where
// D is the model's x_0 estimate. Along a solution, d log p_sigma(y(sigma)) / dsigma = -div_y F
// (Chen et al.), so
//   log p_min(y(sigma_min)) = log p_max(y(sigma_max)) + integral_{sigma_min}^{sigma_max} div_y F
//   dsigma.
// We integrate in u = log sigma (dsigma = sigma du), where the field is G = sigma F = y - D:
//   dy/du = G(y, u) = y - D(y, e^u),     dA/du = div_y G,     A(u_min) = 0,
//   NLL(x) = -log p_min(x) = -log prior(y(u_max)) - A(u_max),      y(u_min) = x.
// sigma_min is the table's smallest sigma (t = 0), sigma_max its largest (t = T - 1; for a
// zero-terminal-SNR schedule diffusers' stand-in alpha_bar = 2^-24, so sigma_max = 4096). So the
// NLL is that of the data as the model sees it at t = 0: smoothed by N(0, sigma_min^2) (sigma_min
// = 0.01 for the linear schedule, far below the scale of any data set here).
//
// The model. At (y, sigma) the network sees x = sqrt(ab) y (rounded to float) and the fractional
// step t = sigma_to_t(sigma) (diffusion/sigmas.hpp; the exact mixture denoiser uses ab only), and
// its prediction p (eps, x0 or v) gives x0_hat = a x + c p (diffusion/parameterization.hpp), so
//   G = (1 - a sqrt(ab)) y - c p,    div_y G = D (1 - a sqrt(ab)) - c sqrt(ab) sum_d dp_d/dx_d.
// (eps: G = sigma p; x0: G = y - p; v: G = (1 - ab) y + sqrt(1 - ab) p.)
//
// The prior: N(0, (1 + sigma_max^2) I). It is the deterministic samplers' own start: DDIM draws
// x_{T-1} ~ N(0, I), which is y ~ N(0, I / ab) = N(0, (1 + sigma^2) I) (diffusers' Euler scales its
// noise by init_noise_sigma = sqrt(sigma_max^2 + 1) alike), so the NLL is exactly that of the
// model the deterministic sampler samples. It also has the first two moments of the true p_max for
// normalized data (mean 0, variance 1 + sigma_max^2 per dimension), so the first- and second-order
// terms of log p_max - log prior in 1 / sigma_max cancel; what remains is O(sigma_max^-3) per point
// (sigma_max^-2 times the data's cross-covariances), below 1e-4 nats for every schedule here.
// N(0, sigma_max^2 I) would leave an error of (|z|^2 - D) / (2 sigma_max^2) at y = sigma_max z.
//
// Error control: adaptive Dormand-Prince 5(4) (Dormand & Prince 1980, the tableau of
// scipy's RK45, which Song et al. use with rtol = atol = 1e-5), fifth-order solution, step
// accepted when the error estimate e of every example satisfies
//   sqrt(mean over its components (y and A) of (e / (atol + rtol max(|old|, |new|)))^2) <= 1,
// next step h * clamp(0.9 err^(-1/5), 0.2, 5). The examples of one block share the steps (so a
// result depends on the block it was solved in, at the level of the tolerance; never on threads).
// Global error: about the local tolerance times the number of steps, measured against closed forms
// in tests/unit/diffusion/test_ode_likelihood.cpp.
//
// The divergence. Networks here have no input gradients, so derivatives of the network's output
// are central differences, in the network's own input x, where inputs and outputs are O(1) for
// every prediction type: dp_d/dx_d ~ (p_d(x + h e_d) - p_d(x - h e_d)) / (x+_d - x-_d), with
// h = 2^-8 max(1, |x_d|) (2^-8 = the cube root of float32's 2^-24, the step that balances the
// truncation error h^2 |p'''| / 6 against the rounding error ~2^-24 |p| / h) and the denominator
// the exact difference of the rounded inputs. Outputs rounded once (the exact mixture denoiser)
// err by 2^-25 |p|, so the derivative by ~1e-5 |p|; a trained MLP's outputs carry ~1e-6 relative
// rounding, and its trace at h = 2^-8 agrees with h = 2^-6 and 2^-10 to ~1e-4 relative (measured on
// the default gaussians8 model, docs/likelihood.md). With |c sqrt(ab)| <= 1 the divergence then
// errs by ~1e-4 D per unit of u, and the NLL by at most ~1e-3 D over u_max - u_min ~ 10 (less in
// practice: the rounding part averages out over the steps). Where the field turns on a scale
// comparable to h, truncation dominates: the exact mixture's posterior mean switches between two
// modes over var_t / separation ~ 0.005 at small sigma, and at points 15-30 nats into the tails
// between modes of gaussians8 the NLL errs by up to 0.1 nats (measured; 1e-4 on data points).
// - exact (D <= 16): every coordinate: 2 D + 1 rows per example per evaluation.
// - hutchinson: div = E_v[v^T J v] with Rademacher probes v (Hutchinson 1990; FFJORD), each a
//   central difference along v with h = 2^-8 max(1, max_d |x_d|): 2 M + 1 rows for M probes. Each
//   example keeps its probes for the whole solve (the field must be smooth for the solver), so its
//   estimate is an unbiased estimate of its exact NLL (the trajectory does not depend on v); the
//   reported standard error over examples includes the probes' variance, and with M >= 2 the
//   probes' own share is reported as well.
// Probes and dequantization draw from the project's RNG, row by row (diffusion/row_noise.hpp's
// addressing): example i's values are stream (seed, tag + i), whatever the blocks.
//
// Flow-matching models (OdeLikelihoodConfig::flow; diffusion/flow.hpp). Their sampler's ODE is
// dx/ds = u(x, s), the network's velocity at the step s T, from s = 0 (data) to s = 1, where
// x_1 = eps exactly, so the prior is N(0, I) with no approximation. The same change of variables
// gives
//   dA/ds = div_x u,   A(0) = 0,   NLL(x) = -log N(x(1); 0, I) - A(1),   x(0) = x,
// integrated in s itself (the field is smooth in s: the path is a straight line). The network
// sees x and t = s T; there is no sigma_min smoothing (s = 0 is the data itself). The divergence
// is taken as above with scale 1 (the output is the field itself).
//
// Data units are the caller's business (the normalization's Jacobian); ode_dequantize is the
// uniform dequantization of data on a grid of levels.
#include <cstddef>
#include <cmath>
#include <cstdint>
#include <vector>

#include "base/enum_names.hpp"
#include "base/executor.hpp"
#include "base/tensor.hpp"
#include "diffusion/denoiser.hpp"
#include "diffusion/row_noise.hpp"
#include "diffusion/schedule.hpp"

namespace diffuse {

// Stream tags beside those of diffusion/row_noise.hpp (all distinct).
constexpr std::uint64_t stream_tag_nll_probes = 0x4E4C4C50;      // "NLLP": Rademacher probes
constexpr std::uint64_t stream_tag_nll_dequantize = 0x4E4C4C51;  // "NLLQ": dequantization

using OdeMatrix = xt::xtensor<double, 2>;  // float64 ODE states (B, columns)

enum class DivergenceMethod { exact, hutchinson };
inline const EnumNames<DivergenceMethod> divergence_methods{
    "divergence",
    {{DivergenceMethod::exact, "exact"}, {DivergenceMethod::hutchinson, "hutchinson"}}};

// Exact divergence costs 2 D + 1 rows per evaluation: allowed, and the default, up to this D.
constexpr std::size_t ode_exact_max_dim = 16;
constexpr int ode_max_probes = 64;

struct OdeLikelihoodConfig {
  DivergenceMethod divergence = DivergenceMethod::exact;
  int probes = 1;      // M: Rademacher probes per example (hutchinson); 1 with exact
  double rtol = 1e-5;  // Dormand-Prince tolerances (above)
  double atol = 1e-5;
  std::size_t batch = 256;  // examples solved together, sharing the steps
  int max_steps = 10000;    // accepted plus rejected steps per block before giving up
  bool flow = false;        // the model is a flow-matching velocity (above): s from 0 to 1
};

// The default for data of dimension D: exact up to ode_exact_max_dim, else hutchinson.
DivergenceMethod ode_default_divergence(std::size_t D);

// Throws Error naming the first invalid field, its value and what is allowed (exact needs
// D <= ode_exact_max_dim; probes in 1..ode_max_probes, 1 with exact; tolerances positive).
void ode_likelihood_config_validate(const OdeLikelihoodConfig& config, std::size_t D);

// The right-hand side of the ODE above for a block of examples, with their divergences.
class OdeField {
 public:
  // The denoiser and the schedule must outlive the field. flow: a flow-matching velocity (above).
  OdeField(Denoiser& denoiser, const NoiseSchedule& schedule, DivergenceMethod divergence,
           int probes, bool flow = false);

  std::size_t dims() const { return dims_; }            // D
  std::size_t estimates() const { return estimates_; }  // M (1 with exact)
  std::size_t rows_per_example() const;                 // 2 D + 1 or 2 M + 1
  double sigma_min() const { return sigmas_.front(); }
  double sigma_max() const { return sigmas_.back(); }
  bool flow() const { return flow_; }
  // The integration variable's range: log sigma_min .. log sigma_max, or s = 0 .. 1 for a flow.
  double u_begin() const { return flow_ ? 0.0 : std::log(sigma_min()); }
  double u_end() const { return flow_ ? 1.0 : std::log(sigma_max()); }
  // The prior's variance per dimension: 1 + sigma_max^2, or 1 for a flow.
  double prior_variance() const { return flow_ ? 1.0 : 1.0 + sigma_max() * sigma_max(); }

  // out (B, D + M): columns 0..D-1 dy/du = G(y, e^u), columns D.. the divergence of G, exact (M =
  // 1) or one Hutchinson estimate per probe. y (B, >= D): its first D columns are read (an ODE
  // state (B, D + M) will do); probes (B * M, D) of +-1 (row b M + m: probe m of example b), unused
  // with exact.
  void evaluate(OdeMatrix& out, double u, const OdeMatrix& y, const Tensor2& probes,
                const Executor& executor);

 private:
  void fill_inputs(const OdeMatrix& y, double sqrt_ab, const Tensor2& probes);
  void evaluate_flow(OdeMatrix& out, double s, const OdeMatrix& y, const Tensor2& probes,
                     const Executor& executor);
  void exact_divergence(OdeMatrix& out, double scale, double linear) const;
  void probe_divergence(OdeMatrix& out, const Tensor2& probes, double scale, double linear) const;

  Denoiser* denoiser_;
  DivergenceMethod divergence_;
  bool flow_;
  int T_;
  std::size_t dims_, estimates_;
  std::vector<double> sigmas_, log_sigmas_;  // (T,) ascending
  Tensor2 inputs_, outputs_;                 // (B * rows_per_example, D)
  std::vector<double> steps_;                // (B * rows_per_example,) x+ - x- of each row pair
};

// probes (n M, D): Rademacher +-1 for examples first_row .. first_row + n - 1, M each; example i's
// signs are the top bits of the 32-bit words of stream (seed, "NLLP" i), row-major over (M, D).
void ode_probes_fill(Tensor2& probes, std::size_t n, std::size_t M, std::size_t D,
                     std::uint64_t seed, std::size_t first_row);

// Uniform dequantization of normalized data on the grid of `levels` values in [-1, 1]
// (data/normalization.hpp): x += (u - 1/2) 2 / (levels - 1), u ~ U[0, 1) from stream
// (seed, "NLLQ" i) for row i (first_row + b). The discrete NLL is at most the continuous NLL of
// dequantized data plus D log(2 / (levels - 1)) in the normalized space (Jensen over each bin).
void ode_dequantize(Tensor2& x, int levels, std::uint64_t seed, std::size_t first_row = 0);

// What the solve of one block did.
struct OdeSolveStats {
  int accepted = 0, rejected = 0;
  int evaluations = 0;  // right-hand-side evaluations (the FSAL stage reused)
};

// Solves the ODE from u_min to u_max for a block. state (B, D + M): y at u_min and A = 0 in,
// y(u_max) and A(u_max) out. Throws Error after config.max_steps steps or a non-finite state.
OdeSolveStats ode_solve(OdeField& field, OdeMatrix& state, const Tensor2& probes,
                        const OdeLikelihoodConfig& config, const Executor& executor);

struct OdeLikelihoodResult {
  std::size_t examples = 0, dims = 0;  // N, D
  DivergenceMethod divergence = DivergenceMethod::exact;
  int probes = 1;
  double sigma_min = 0, sigma_max = 0;  // a flow: the range of s, 0 and 1
  double nll_nats = 0;                  // mean -log p_min(x), nats per example, normalized space
  double prior = 0;                     // mean -log prior(y(u_max))
  double divergence_integral = 0;       // mean A(u_max); nll_nats = prior - divergence_integral
  double standard_error = 0;            // sd of per_example / sqrt(N) (NaN for N = 1)
  double probe_standard_error = 0;      // hutchinson with M >= 2: sqrt(sum_i s_i^2 / M) / N, s_i^2
                                        // the variance of example i's M estimates; else NaN
  double nfe = 0;                       // mean right-hand-side evaluations per example
  std::size_t rows_per_evaluation = 0;  // network rows per example per evaluation
  int steps = 0, rejected = 0;          // accepted and rejected steps, summed over blocks
  Table per_example;                    // (N,) each example's NLL, normalized nats
};

// The NLL of examples x0 (N, D, normalized data) in blocks of config.batch, one block per advance.
class OdeLikelihoodEvaluator {
 public:
  // Validates the config against the denoiser's D and x0's shape. The denoiser and the schedule
  // must outlive the evaluator.
  OdeLikelihoodEvaluator(Denoiser& denoiser, const NoiseSchedule& schedule,
                         const OdeLikelihoodConfig& config, Tensor2 x0, std::uint64_t seed);

  void advance(int blocks, const Executor& executor = serial_executor());
  bool done() const { return blocks_done_ == blocks_total(); }
  int blocks_done() const { return blocks_done_; }
  int blocks_total() const;

  // Throws Error unless done().
  OdeLikelihoodResult result() const;

 private:
  OdeField field_;
  OdeLikelihoodConfig config_;
  Tensor2 x0_;  // (N, D)
  std::uint64_t seed_;
  int blocks_done_ = 0;
  std::vector<double> nll_, prior_, probe_variance_;  // (N,) each
  double evaluations_ = 0;  // sum over examples of their block's evaluations
  int steps_ = 0, rejected_ = 0;
};

// Runs an evaluator to completion.
OdeLikelihoodResult ode_likelihood_evaluate(Denoiser& denoiser, const NoiseSchedule& schedule,
                                            const OdeLikelihoodConfig& config, const Tensor2& x0,
                                            std::uint64_t seed,
                                            const Executor& executor = serial_executor());

}  // namespace diffuse
