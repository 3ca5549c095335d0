// Importance sampling of t against its definition (Nichol & Dhariwal 2021, section 3.3;
// improved-diffusion's LossSecondMomentResampler): uniform until every t holds 10 losses, then
// p_t = (1 - 0.001) sqrt(E[L_t^2]) / sum + 0.001 / T computed here by brute force; the history
// keeps the last 10 values; draws by inversion land on t with frequency p_t and weight 1/(T p_t).
#include <catch2/catch.hpp>

#include <cmath>
#include <deque>
#include <vector>

#include "base/error.hpp"
#include "base/rng.hpp"
#include "diffusion/timestep_sampler.hpp"

using namespace diffuse;

namespace {

void add_one(LossSecondMomentSampler& sampler, int t, double loss) {
  Steps steps = Steps::from_shape({1});
  steps(0) = t;
  sampler.add(steps, {loss});
}

}  // namespace

TEST_CASE("t is uniform until every t has 10 losses, then p_t follows sqrt(E[L_t^2])") {
  const int T = 6;
  LossSecondMomentSampler sampler(T);
  std::vector<std::deque<double>> history(T);  // the brute-force record: the last 10 per t
  Rng rng(3);
  for (int round = 0; round < 10; ++round) {
    for (int t = 0; t < T; ++t) {
      if (round == 9 && t == T - 1) {
        CHECK_FALSE(sampler.warmed_up());  // one t short of 10: still uniform
        for (double p : sampler.probabilities()) CHECK(p == 1.0 / T);
      }
      const double loss = (t + 1) * (0.5 + rng.uniform());
      add_one(sampler, t, loss);
      history[t].push_back(static_cast<float>(loss));
    }
  }
  REQUIRE(sampler.warmed_up());
  // 5 more values at t = 2: the oldest 5 drop out.
  for (int k = 0; k < 5; ++k) {
    add_one(sampler, 2, 100.0 + k);
    history[2].push_back(100.0 + k);
    history[2].pop_front();
  }
  std::vector<double> expected(T);
  double total = 0;
  for (int t = 0; t < T; ++t) {
    double squares = 0;
    for (double v : history[t]) squares += v * v;
    expected[t] = std::sqrt(squares / 10);
    total += expected[t];
  }
  const std::vector<double> p = sampler.probabilities();
  double sum = 0;
  for (int t = 0; t < T; ++t) {
    CHECK(p[t] == Approx(expected[t] / total * 0.999 + 0.001 / T).epsilon(1e-12));
    sum += p[t];
  }
  CHECK(sum == Approx(1.0).epsilon(1e-12));

  // Inversion at N evenly spaced u: each t's share of the draws is p_t within 1 / N.
  const std::size_t N = 100000;
  std::vector<double> u(N);
  for (std::size_t i = 0; i < N; ++i) u[i] = (i + 0.5) / N;
  Steps t = Steps::from_shape({N});
  std::vector<double> weights;
  sampler.draw(t, weights, u.data());
  std::vector<double> count(T, 0.0);
  for (std::size_t i = 0; i < N; ++i) {
    count[static_cast<std::size_t>(t(i))] += 1;
    CHECK(weights[i] == Approx(1.0 / (T * p[static_cast<std::size_t>(t(i))])).epsilon(1e-12));
  }
  for (int k = 0; k < T; ++k) CHECK(std::fabs(count[k] / N - p[k]) <= 1.0 / N + 1e-12);
}

TEST_CASE("the sampler's state round-trips and bad saved states are refused") {
  LossSecondMomentSampler a(3), b(3);
  for (int k = 0; k < 12; ++k) add_one(a, k % 3, k + 1.0);
  b.set_state(a.history(), a.counts());
  CHECK(b.probabilities() == a.probabilities());
  CHECK_THROWS_AS(b.set_state(std::vector<float>(29, 0.0f), {0, 0, 0}), Error);
  CHECK_THROWS_AS(b.set_state(std::vector<float>(30, 0.0f), {0, 11, 0}), Error);
  CHECK_THROWS_AS(b.set_state(std::vector<float>(30, NAN), {0, 0, 0}), Error);
}
