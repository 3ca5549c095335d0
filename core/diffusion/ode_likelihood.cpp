#include "diffusion/ode_likelihood.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "base/check.hpp"
#include "base/error.hpp"
#include "base/rng.hpp"
#include "diffusion/parameterization.hpp"
#include "diffusion/sigmas.hpp"

namespace diffuse {
namespace {

constexpr double pi = 3.14159265358979323846;
constexpr double difference_step = 1.0 / 256.0;  // 2^-8, the cube root of float32's 2^-24

// Dormand & Prince (1980), RK5(4)7M: nodes c, stages a, fifth-order weights b (the seventh stage
// is the derivative at the new point: first same as last), and the error weights e = b - b*.
constexpr std::array<double, 7> dp_c{0.0, 1.0 / 5, 3.0 / 10, 4.0 / 5, 8.0 / 9, 1.0, 1.0};
constexpr double dp_a[7][6] = {
    {},
    {1.0 / 5},
    {3.0 / 40, 9.0 / 40},
    {44.0 / 45, -56.0 / 15, 32.0 / 9},
    {19372.0 / 6561, -25360.0 / 2187, 64448.0 / 6561, -212.0 / 729},
    {9017.0 / 3168, -355.0 / 33, 46732.0 / 5247, 49.0 / 176, -5103.0 / 18656},
    {35.0 / 384, 0.0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84}};
constexpr std::array<double, 7> dp_e{71.0 / 57600,      0.0,        -71.0 / 16695, 71.0 / 1920,
                                     -17253.0 / 339200, 22.0 / 525, -1.0 / 40};

// out = state + h sum_{j < s} a[s][j] k[j]
void stage_input(OdeMatrix& out, const OdeMatrix& state, const std::array<OdeMatrix, 7>& k, int s,
                 double h) {
  out = state;
  for (int j = 0; j < s; ++j) {
    if (dp_a[s][j] == 0.0) continue;
    const double w = h * dp_a[s][j];
    const double* kj = k[static_cast<std::size_t>(j)].data();
    double* o = out.data();
    for (std::size_t i = 0; i < out.size(); ++i) o[i] += w * kj[i];
  }
}

// The largest over examples of the RMS of the scaled error h sum_j e_j k_j (header).
double error_norm(const OdeMatrix& old_state, const OdeMatrix& new_state,
                  const std::array<OdeMatrix, 7>& k, double h, const OdeLikelihoodConfig& config) {
  const std::size_t B = old_state.shape(0), W = old_state.shape(1);
  double worst = 0.0;
  for (std::size_t b = 0; b < B; ++b) {
    double sum = 0.0;
    for (std::size_t c = 0; c < W; ++c) {
      double e = 0.0;
      for (std::size_t j = 0; j < 7; ++j) e += dp_e[j] * k[j](b, c);
      const double scale = config.atol + config.rtol * std::max(std::fabs(old_state(b, c)),
                                                                std::fabs(new_state(b, c)));
      sum += (h * e / scale) * (h * e / scale);
    }
    const double norm = std::sqrt(sum / static_cast<double>(W));
    if (!(norm <= worst)) worst = norm;  // NaN propagates
  }
  return worst;
}

}  // namespace

DivergenceMethod ode_default_divergence(std::size_t D) {
  return D <= ode_exact_max_dim ? DivergenceMethod::exact : DivergenceMethod::hutchinson;
}

void ode_likelihood_config_validate(const OdeLikelihoodConfig& config, std::size_t D) {
  if (config.divergence == DivergenceMethod::exact && D > ode_exact_max_dim) {
    fail("divergence exact is for D <= ", ode_exact_max_dim,
         " (2 D + 1 model rows per evaluation); D = ", D, ": use hutchinson");
  }
  if (config.probes < 1 || config.probes > ode_max_probes) {
    fail("probes = ", config.probes, " is invalid: allowed are 1..", ode_max_probes);
  }
  if (config.divergence == DivergenceMethod::exact && config.probes != 1) {
    fail("probes = ", config.probes, " is for the hutchinson divergence; exact takes none");
  }
  if (!(config.rtol > 0 && config.rtol < 1) || !(config.atol > 0 && std::isfinite(config.atol))) {
    fail("tolerances rtol = ", config.rtol, ", atol = ", config.atol,
         " are invalid: allowed are 0 < rtol < 1 and a finite atol > 0");
  }
  if (config.batch < 1) fail("batch = 0 is invalid: allowed is >= 1");
  if (config.max_steps < 1) fail("max_steps = ", config.max_steps, " is invalid: allowed is >= 1");
}

OdeField::OdeField(Denoiser& denoiser, const NoiseSchedule& schedule, DivergenceMethod divergence,
                   int probes, bool flow)
    : denoiser_(&denoiser),
      divergence_(divergence),
      flow_(flow),
      T_(schedule.T),
      dims_(denoiser.data_dim()),
      estimates_(divergence == DivergenceMethod::exact ? 1 : static_cast<std::size_t>(probes)),
      sigmas_(schedule_sigmas(schedule)) {
  if (sigmas_.size() < 2) fail("the ODE likelihood needs T >= 2; T = ", sigmas_.size());
  for (double s : sigmas_) log_sigmas_.push_back(std::log(s));
}

std::size_t OdeField::rows_per_example() const {
  return 1 + 2 * (divergence_ == DivergenceMethod::exact ? dims_ : estimates_);
}

void OdeField::fill_inputs(const OdeMatrix& y, double sqrt_ab, const Tensor2& probes) {
  const std::size_t B = y.shape(0), D = dims_, R = rows_per_example();
  inputs_.resize({B * R, D});
  steps_.assign(B * R, 0.0);
  for (std::size_t b = 0; b < B; ++b) {
    float* x = &inputs_(b * R, 0);
    double largest = 1.0;
    for (std::size_t d = 0; d < D; ++d) {
      x[d] = static_cast<float>(sqrt_ab * y(b, d));
      largest = std::max(largest, std::fabs(static_cast<double>(x[d])));
    }
    for (std::size_t r = 1; r < R; ++r) std::copy(x, x + D, &inputs_(b * R + r, 0));
    if (divergence_ == DivergenceMethod::exact) {
      for (std::size_t j = 0; j < D; ++j) {  // rows 1 + 2j and 2 + 2j: x +- h e_j
        const double h = difference_step * std::max(1.0, std::fabs(static_cast<double>(x[j])));
        const float plus = static_cast<float>(x[j] + h), minus = static_cast<float>(x[j] - h);
        inputs_(b * R + 1 + 2 * j, j) = plus;
        inputs_(b * R + 2 + 2 * j, j) = minus;
        steps_[b * R + 1 + 2 * j] = static_cast<double>(plus) - static_cast<double>(minus);
      }
      continue;
    }
    const double h = difference_step * largest;
    for (std::size_t m = 0; m < estimates_; ++m) {  // rows 1 + 2m and 2 + 2m: x +- h v_m
      const float* v = &probes(b * estimates_ + m, 0);
      for (std::size_t d = 0; d < D; ++d) {
        inputs_(b * R + 1 + 2 * m, d) = static_cast<float>(x[d] + h * v[d]);
        inputs_(b * R + 2 + 2 * m, d) = static_cast<float>(x[d] - h * v[d]);
      }
      steps_[b * R + 1 + 2 * m] = 2.0 * h;
    }
  }
}

void OdeField::exact_divergence(OdeMatrix& out, double scale, double linear) const {
  const std::size_t B = out.shape(0), D = dims_, R = rows_per_example();
  for (std::size_t b = 0; b < B; ++b) {
    double trace = 0.0;  // sum_j dp_j / dx_j
    for (std::size_t j = 0; j < D; ++j) {
      const std::size_t plus = b * R + 1 + 2 * j;
      trace += (static_cast<double>(outputs_(plus, j)) - outputs_(plus + 1, j)) / steps_[plus];
    }
    out(b, D) = static_cast<double>(D) * linear + scale * trace;
  }
}

void OdeField::probe_divergence(OdeMatrix& out, const Tensor2& probes, double scale,
                                double linear) const {
  const std::size_t B = out.shape(0), D = dims_, R = rows_per_example();
  for (std::size_t b = 0; b < B; ++b) {
    for (std::size_t m = 0; m < estimates_; ++m) {
      const std::size_t plus = b * R + 1 + 2 * m;
      const float* v = &probes(b * estimates_ + m, 0);
      double quadratic = 0.0;  // v^T J v
      for (std::size_t d = 0; d < D; ++d) {
        quadratic += v[d] * (static_cast<double>(outputs_(plus, d)) - outputs_(plus + 1, d));
      }
      out(b, D + m) = static_cast<double>(D) * linear + scale * quadratic / steps_[plus];
    }
  }
}

void OdeField::evaluate(OdeMatrix& out, double u, const OdeMatrix& y, const Tensor2& probes,
                        const Executor& executor) {
  const std::size_t B = y.shape(0), D = dims_, R = rows_per_example();
  DIFFUSE_ASSERT(y.shape(1) >= D);
  DIFFUSE_ASSERT(divergence_ == DivergenceMethod::exact || probes.shape(0) == B * estimates_);
  if (flow_) return evaluate_flow(out, u, y, probes, executor);
  const double sigma = std::exp(u);
  const double ab = alpha_bar_of_sigma(sigma), sa = std::sqrt(ab), sr = sigma * sa;
  const AffinePair x0 = prediction_estimates(denoiser_->prediction(), sa, sr).x0;
  fill_inputs(y, sa, probes);
  denoiser_->predict_at_level(outputs_, inputs_, NoiseLevel{sigma_to_t(sigma, log_sigmas_), ab},
                              nullptr, executor);
  out.resize({B, D + estimates_});
  const double linear = 1.0 - x0.a * sa;  // G = linear y - c p
  for (std::size_t b = 0; b < B; ++b) {
    for (std::size_t d = 0; d < D; ++d) out(b, d) = linear * y(b, d) - x0.c * outputs_(b * R, d);
  }
  if (divergence_ == DivergenceMethod::exact) {
    exact_divergence(out, -x0.c * sa, linear);
  } else {
    probe_divergence(out, probes, -x0.c * sa, linear);
  }
}

void OdeField::evaluate_flow(OdeMatrix& out, double s, const OdeMatrix& y, const Tensor2& probes,
                             const Executor& executor) {
  const std::size_t B = y.shape(0), D = dims_, R = rows_per_example();
  fill_inputs(y, 1.0, probes);
  // The network takes t = s T (diffusion/flow.hpp); alpha_bar is that of the same signal-to-noise
  // ratio, ((1 - s) / s)^2 (unused by networks; in [0, 1] as a NoiseLevel requires).
  const double signal = (1.0 - s) * (1.0 - s), noise = s * s;
  denoiser_->predict_at_level(outputs_, inputs_, NoiseLevel{s * T_, signal / (signal + noise)},
                              nullptr, executor);
  out.resize({B, D + estimates_});
  for (std::size_t b = 0; b < B; ++b) {
    for (std::size_t d = 0; d < D; ++d) out(b, d) = outputs_(b * R, d);
  }
  if (divergence_ == DivergenceMethod::exact) {
    exact_divergence(out, 1.0, 0.0);
  } else {
    probe_divergence(out, probes, 1.0, 0.0);
  }
}

void ode_probes_fill(Tensor2& probes, std::size_t n, std::size_t M, std::size_t D,
                     std::uint64_t seed, std::size_t first_row) {
  probes.resize({n * M, D});
  std::vector<std::uint32_t> words(M * D);
  for (std::size_t b = 0; b < n; ++b) {
    Rng rng(seed, noise_stream(stream_tag_nll_probes, first_row + b));
    rng.fill_u32(words.data(), words.size());
    float* row = &probes(b * M, 0);
    for (std::size_t i = 0; i < M * D; ++i) row[i] = (words[i] >> 31) != 0 ? -1.0f : 1.0f;
  }
}

void ode_dequantize(Tensor2& x, int levels, std::uint64_t seed, std::size_t first_row) {
  if (levels < 2) fail("dequantization needs levels >= 2; levels = ", levels);
  const std::size_t n = x.shape(0), D = x.shape(1);
  const double width = 2.0 / (levels - 1);
  std::vector<float> u(D);
  for (std::size_t b = 0; b < n; ++b) {
    Rng rng(seed, noise_stream(stream_tag_nll_dequantize, first_row + b));
    rng.fill_uniform(u.data(), D);
    for (std::size_t d = 0; d < D; ++d) {
      x(b, d) = static_cast<float>(x(b, d) + (static_cast<double>(u[d]) - 0.5) * width);
    }
  }
}

OdeSolveStats ode_solve(OdeField& field, OdeMatrix& state, const Tensor2& probes,
                        const OdeLikelihoodConfig& config, const Executor& executor) {
  const double u_end = field.u_end();
  double u = field.u_begin(), h = (u_end - u) / 64.0;
  std::array<OdeMatrix, 7> k;
  OdeMatrix stage, next;
  OdeSolveStats stats;
  field.evaluate(k[0], u, state, probes, executor);
  stats.evaluations = 1;
  while (u < u_end) {
    if (stats.accepted + stats.rejected >= config.max_steps) {
      fail("the ODE solve took more than ", config.max_steps, " steps (at ",
           field.flow() ? "s = " : "sigma = ", field.flow() ? u : std::exp(u),
           "); the model's field is too rough for rtol ", config.rtol);
    }
    const bool last = u + h >= u_end;
    if (last) h = u_end - u;
    for (int s = 1; s < 7; ++s) {  // stage 6's input is the fifth-order solution
      stage_input(s == 6 ? next : stage, state, k, s, h);
      field.evaluate(k[static_cast<std::size_t>(s)], u + dp_c[static_cast<std::size_t>(s)] * h,
                     s == 6 ? next : stage, probes, executor);
    }
    stats.evaluations += 6;
    const double err = error_norm(state, next, k, h, config);
    if (!std::isfinite(err)) {
      fail("the model's ODE field is not finite at ", field.flow() ? "s = " : "sigma = ",
           field.flow() ? u : std::exp(u), " (diverged weights?)");
    }
    if (err <= 1.0) {
      ++stats.accepted;
      u = last ? u_end : u + h;
      state = next;
      k[0] = k[6];
    } else {
      ++stats.rejected;
    }
    h *= err == 0.0 ? 5.0 : std::clamp(0.9 * std::pow(err, -0.2), 0.2, 5.0);
  }
  return stats;
}

OdeLikelihoodEvaluator::OdeLikelihoodEvaluator(Denoiser& denoiser, const NoiseSchedule& schedule,
                                               const OdeLikelihoodConfig& config, Tensor2 x0,
                                               std::uint64_t seed)
    : field_(denoiser, schedule, config.divergence, config.probes, config.flow),
      config_(config),
      x0_(std::move(x0)),
      seed_(seed) {
  ode_likelihood_config_validate(config, denoiser.data_dim());
  if (x0_.shape(0) == 0) fail("the ODE likelihood needs at least one example");
  if (x0_.shape(1) != denoiser.data_dim()) {
    fail("examples have D = ", x0_.shape(1), " but the model has D = ", denoiser.data_dim());
  }
  const std::size_t N = x0_.shape(0);
  nll_.assign(N, 0.0);
  prior_.assign(N, 0.0);
  probe_variance_.assign(N, 0.0);
}

int OdeLikelihoodEvaluator::blocks_total() const {
  return static_cast<int>((x0_.shape(0) + config_.batch - 1) / config_.batch);
}

void OdeLikelihoodEvaluator::advance(int blocks, const Executor& executor) {
  const std::size_t N = x0_.shape(0), D = field_.dims(), M = field_.estimates();
  const double prior_var = field_.prior_variance();
  for (; blocks > 0 && !done(); --blocks, ++blocks_done_) {
    const std::size_t first = static_cast<std::size_t>(blocks_done_) * config_.batch;
    const std::size_t n = std::min(N, first + config_.batch) - first;
    OdeMatrix state = xt::zeros<double>({n, D + M});
    for (std::size_t b = 0; b < n; ++b)
      for (std::size_t d = 0; d < D; ++d) state(b, d) = x0_(first + b, d);
    Tensor2 probes;
    if (config_.divergence == DivergenceMethod::hutchinson)
      ode_probes_fill(probes, n, M, D, seed_, first);
    const OdeSolveStats stats = ode_solve(field_, state, probes, config_, executor);
    steps_ += stats.accepted;
    rejected_ += stats.rejected;
    evaluations_ += static_cast<double>(stats.evaluations) * static_cast<double>(n);
    for (std::size_t b = 0; b < n; ++b) {
      double square = 0.0, sum = 0.0, sum_sq = 0.0;
      for (std::size_t d = 0; d < D; ++d) square += state(b, d) * state(b, d);
      for (std::size_t m = 0; m < M; ++m)
        sum += state(b, D + m), sum_sq += state(b, D + m) * state(b, D + m);
      const double mean = sum / static_cast<double>(M);
      prior_[first + b] =
          0.5 * square / prior_var + 0.5 * static_cast<double>(D) * std::log(2 * pi * prior_var);
      nll_[first + b] = prior_[first + b] - mean;
      probe_variance_[first + b] =
          M > 1 ? std::max(0.0, (sum_sq - sum * mean) / static_cast<double>(M - 1)) : 0.0;
    }
  }
}

OdeLikelihoodResult OdeLikelihoodEvaluator::result() const {
  if (!done())
    fail("the ODE likelihood is not finished: ", blocks_done_, " of ", blocks_total(), " blocks");
  const std::size_t N = x0_.shape(0);
  const double n = static_cast<double>(N);
  OdeLikelihoodResult r;
  r.examples = N;
  r.dims = field_.dims();
  r.divergence = config_.divergence;
  r.probes = static_cast<int>(field_.estimates());
  r.sigma_min = field_.flow() ? 0.0 : field_.sigma_min();
  r.sigma_max = field_.flow() ? 1.0 : field_.sigma_max();
  r.per_example = Table::from_shape({N});
  double sum = 0, prior = 0, within = 0;
  for (std::size_t i = 0; i < N; ++i) {
    r.per_example(i) = nll_[i];
    sum += nll_[i], prior += prior_[i], within += probe_variance_[i];
  }
  r.nll_nats = sum / n;
  r.prior = prior / n;
  r.divergence_integral = r.prior - r.nll_nats;
  double spread = 0;
  for (double v : nll_) spread += (v - r.nll_nats) * (v - r.nll_nats);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  r.standard_error = N > 1 ? std::sqrt(spread / (n - 1) / n) : nan;
  r.probe_standard_error = r.probes > 1 && config_.divergence == DivergenceMethod::hutchinson
                               ? std::sqrt(within / r.probes) / n
                               : nan;
  r.nfe = evaluations_ / n;
  r.rows_per_evaluation = field_.rows_per_example();
  r.steps = steps_;
  r.rejected = rejected_;
  return r;
}

OdeLikelihoodResult ode_likelihood_evaluate(Denoiser& denoiser, const NoiseSchedule& schedule,
                                            const OdeLikelihoodConfig& config, const Tensor2& x0,
                                            std::uint64_t seed, const Executor& executor) {
  OdeLikelihoodEvaluator evaluator(denoiser, schedule, config, x0, seed);
  while (!evaluator.done()) evaluator.advance(1, executor);
  return evaluator.result();
}

}  // namespace diffuse
