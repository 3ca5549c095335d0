// EMA: the spec's warm-up decays at known k, the update formula, and a bit-exact resume.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "base/error.hpp"
#include "nn/ema.hpp"

using namespace diffuse;
using Catch::Contains;

TEST_CASE("EMA decay warms up as 1 - (1 + k)^(-2/3) and caps at max_decay") {
  CHECK(ema_decay(0.999, 1) == Approx(1 - std::pow(2.0, -2.0 / 3)).epsilon(1e-7));  // 0.370
  CHECK(ema_decay(0.999, 1) == Approx(0.3700394750).epsilon(1e-7));
  CHECK(ema_decay(0.999, 2) == Approx(0.5192501432).epsilon(1e-7));  // 1 - 3^(-2/3)
  CHECK(ema_decay(0.999, 7) == Approx(0.75).epsilon(1e-7));          // 1 - 8^(-2/3) = 3/4
  CHECK(ema_decay(0.999, 999) == Approx(0.99).epsilon(1e-7));        // 1 - 1000^(-2/3)
  // The cap is reached when (1 + k)^(2/3) >= 1000, i.e. 1 + k >= 1000^1.5 = 31622.78.
  CHECK(ema_decay(0.999, 31620) < 0.999f);
  CHECK(ema_decay(0.999, 31622) == 0.999f);
  CHECK(ema_decay(0.999, 1000000) == 0.999f);
  CHECK(ema_decay(0.5, 7) == 0.5f);
}

TEST_CASE("EMA starts as a copy and averages with the warm-up decay") {
  const std::vector<float> w0 = {1.0f, -2.0f, 4.0f};
  Ema ema(0.999, w0.data(), w0.size());
  CHECK(std::vector<float>(ema.weights().begin(), ema.weights().end()) == w0);
  const std::vector<float> p1 = {0.0f, 0.0f, 8.0f};
  ema.update(p1.data());
  const double d1 = 1 - std::pow(2.0, -2.0 / 3);
  CHECK(ema.weights()[0] == Approx(d1).epsilon(1e-6));
  CHECK(ema.weights()[1] == Approx(-2 * d1).epsilon(1e-6));
  CHECK(ema.weights()[2] == Approx(4 * d1 + 8 * (1 - d1)).epsilon(1e-6));
  CHECK(ema.state().updates == 1);
  CHECK_THROWS_WITH(Ema(1.0, w0.data(), 3), Contains("ema = 1") && Contains("[0, 1)"));
}

TEST_CASE("a restored EMA state continues bit for bit") {
  std::vector<float> p = {0.1f, 0.2f, 0.3f, 0.4f};
  Ema ema(0.99, p.data(), p.size());
  auto drift = [&](Ema& e, std::vector<float> q, int from, int steps) {
    for (int s = from; s < from + steps; ++s) {
      for (float& x : q) x += 0.01f * static_cast<float>(s);
      e.update(q.data());
    }
  };
  drift(ema, p, 0, 5);
  const EmaState saved = ema.state();
  drift(ema, p, 5, 5);
  Ema resumed(0.99, p.data(), p.size());
  resumed.set_state(saved);
  drift(resumed, p, 5, 5);
  CHECK(resumed.weights() == ema.weights());
  CHECK(resumed.state().updates == 10);
  EmaState wrong = saved;
  wrong.weights.push_back(0.0f);
  CHECK_THROWS_AS(resumed.set_state(wrong), Error);
}
