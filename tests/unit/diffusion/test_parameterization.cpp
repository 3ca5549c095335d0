// eps, x0 and v predictions convert into one another exactly (up to float32 rounding), for
// x_t built by the jump.
#include <catch2/catch.hpp>

#include <cmath>

#include "base/error.hpp"
#include "base/rng.hpp"
#include "diffusion/forward_process.hpp"
#include "diffusion/parameterization.hpp"

using namespace diffuse;

TEST_CASE("eps, x0 and v conversions are consistent with the jump") {
  const NoiseSchedule s = schedule_make(ScheduleConfig{});
  const std::size_t B = 64, D = 3;
  Tensor2 x0 = Tensor2::from_shape({B, D}), eps = Tensor2::from_shape({B, D});
  Rng rng(3);
  rng.fill_normal(x0.data(), x0.size());
  rng.fill_normal(eps.data(), eps.size());
  Steps t = Steps::from_shape({B});
  rng.fill_below(t.data(), B, 1000);
  t(0) = 0;
  t(1) = 999;

  Tensor2 x_t, x0_back, eps_back, v, x0_from_v_out, eps_from_v_out;
  q_sample(x_t, x0, eps, t, s);
  x0_from_eps(x0_back, x_t, eps, t, s);
  eps_from_x0(eps_back, x_t, x0, t, s);
  v_from_x0_eps(v, x0, eps, t, s);
  x0_from_v(x0_from_v_out, x_t, v, t, s);
  eps_from_v(eps_from_v_out, x_t, v, t, s);

  for (std::size_t b = 0; b < B; ++b) {
    const double sa = s.sqrt_alpha_bar(t(b)), sr = s.sqrt_one_minus_alpha_bar(t(b));
    for (std::size_t d = 0; d < D; ++d) {
      const double scale = std::abs(x0(b, d)) + std::abs(eps(b, d));
      // Dividing by sqrt(alpha_bar) (or sqrt(1 - alpha_bar)) magnifies x_t's rounding.
      CHECK(x0_back(b, d) == Approx(x0(b, d)).margin(8 * std::ldexp(scale / sa, -24)));
      CHECK(eps_back(b, d) == Approx(eps(b, d)).margin(8 * std::ldexp(scale / sr, -24)));
      CHECK(v(b, d) == Approx(sa * eps(b, d) - sr * x0(b, d)).margin(4 * std::ldexp(scale, -24)));
      CHECK(x0_from_v_out(b, d) == Approx(x0(b, d)).margin(8 * std::ldexp(scale, -24)));
      CHECK(eps_from_v_out(b, d) == Approx(eps(b, d)).margin(8 * std::ldexp(scale, -24)));
    }
  }

  Tensor2 out;
  predicted_x0(out, v, Prediction::v, x_t, t, s);
  const bool same_x0 = out == x0_from_v_out;
  CHECK(same_x0);
  predicted_eps(out, x0, Prediction::x0, x_t, t, s);
  const bool same_eps = out == eps_back;
  CHECK(same_eps);
}

TEST_CASE("prediction names parse and unknown ones are rejected") {
  CHECK(predictions.value("epsilon") == Prediction::eps);
  CHECK(predictions.value("v_prediction") == Prediction::v);
  CHECK(predictions.value("sample") == Prediction::x0);
  CHECK_THROWS_AS(predictions.value("score"), Error);
  CHECK_THROWS_WITH(predictions.value("score"), Catch::Matchers::Contains("eps, x0, v"));
}
