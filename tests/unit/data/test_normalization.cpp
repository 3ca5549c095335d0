// Normalization: statistics against constructions with known moments, apply/undo as inverses, the
// log-determinant against a finite-difference Jacobian and against two Gaussian densities, the
// JSON round trip and every rejection.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "base/rng.hpp"
#include "data/normalization.hpp"

using namespace diffuse;

namespace {

// x(i, d) = mean_d + std_d * z_i with z = +1, -1, +1, ... over an even count: z has population
// mean 0 and standard deviation 1 exactly, so the statistics of x are (mean_d, std_d).
Tensor2 two_point_data(const std::vector<double>& mean, const std::vector<double>& stddev,
                       std::size_t n) {
  Tensor2 x = Tensor2::from_shape({n, mean.size()});
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t d = 0; d < mean.size(); ++d) {
      x(i, d) = static_cast<float>(mean[d] + stddev[d] * (i % 2 == 0 ? 1.0 : -1.0));
    }
  }
  return x;
}

double gaussian_log_density(const std::vector<double>& x, const std::vector<double>& mean,
                            const std::vector<double>& stddev) {
  const double log_2pi = std::log(2 * 3.141592653589793238462643383279502884);
  double log_p = 0;
  for (std::size_t d = 0; d < x.size(); ++d) {
    const double u = (x[d] - mean[d]) / stddev[d];
    log_p += -0.5 * u * u - std::log(stddev[d]) - 0.5 * log_2pi;
  }
  return log_p;
}

}  // namespace

TEST_CASE("normalization_fit finds the population mean and standard deviation") {
  // Values chosen exactly representable in float (multiples of 1/4), so x is exact.
  const Normalization norm =
      normalization_fit(two_point_data({3.5, -2.0, 0.0}, {0.25, 4.0, 1.0}, 10));
  CHECK(norm.mean == std::vector<double>{3.5, -2.0, 0.0});
  CHECK(norm.stddev == std::vector<double>{0.25, 4.0, 1.0});

  // Random data against the one-pass textbook formula in long double (a different computation):
  // both are accurate to ~1e-12 relative here.
  Rng rng(1);
  Tensor2 x = Tensor2::from_shape({1001, 2});
  rng.fill_normal(x.data(), x.size());
  for (std::size_t i = 0; i < 1001; ++i) x(i, 1) = 7.0f + 0.5f * x(i, 1);
  const Normalization fitted = normalization_fit(x);
  for (std::size_t d = 0; d < 2; ++d) {
    long double sum = 0, sum_sq = 0;
    for (std::size_t i = 0; i < 1001; ++i)
      sum += x(i, d), sum_sq += static_cast<long double>(x(i, d)) * x(i, d);
    const long double mean = sum / 1001, var = sum_sq / 1001 - mean * mean;
    CHECK(fitted.mean[d] == Approx(static_cast<double>(mean)).epsilon(1e-12));
    CHECK(fitted.stddev[d] == Approx(std::sqrt(static_cast<double>(var))).epsilon(1e-9));
  }
}

TEST_CASE("normalized data has mean 0 and standard deviation 1, and undo inverts apply") {
  Rng rng(2);
  Tensor2 x = Tensor2::from_shape({500, 3});
  rng.fill_normal(x.data(), x.size());
  for (std::size_t i = 0; i < 500; ++i) x(i, 0) = 100.0f + 20.0f * x(i, 0), x(i, 2) *= 1e-3f;
  const Normalization norm = normalization_fit(x);
  const Tensor2 z = normalization_apply(norm, x);
  const Normalization of_z = normalization_fit(z);
  for (std::size_t d = 0; d < 3; ++d) {
    // Each z is rounded to float (relative 6e-8): sums of 500 such errors stay below 1e-6.
    CHECK(std::abs(of_z.mean[d]) < 1e-6);
    CHECK(of_z.stddev[d] == Approx(1.0).epsilon(1e-6));
  }
  const Tensor2 back = normalization_undo(norm, z);
  for (std::size_t i = 0; i < 500; ++i) {
    for (std::size_t d = 0; d < 3; ++d) {
      // Two float roundings, each relative 2^-24 of |x| + |mean| at most.
      const double bound = 2 * std::ldexp(1.0, -24) * (std::abs(x(i, d)) + std::abs(norm.mean[d]));
      CHECK(std::abs(back(i, d) - x(i, d)) <= bound);
    }
  }
}

TEST_CASE("normalization_apply_in_place writes normalization_apply's values bit for bit") {
  Rng rng(5);
  Tensor2 x = Tensor2::from_shape({40, 3});
  rng.fill_normal(x.data(), x.size());
  for (const Normalization& norm : {normalization_fit(x), Normalization{{1.0, -3.0, 0.5}, {2.0, 0.125, 8.0}}}) {
    Tensor2 in_place = x;
    normalization_apply_in_place(norm, in_place);
    CHECK((in_place == normalization_apply(norm, x)));
  }
  // Levels: pixel values 0 .. L - 1 to [-1, 1] (how image data sets are stored for training).
  const Normalization levels = normalization_levels(256);
  Tensor2 pixels = Tensor2::from_shape({2, 256});
  for (std::size_t i = 0; i < pixels.size(); ++i) pixels.data()[i] = static_cast<float>(i % 256);
  Tensor2 in_place = pixels;
  normalization_apply_in_place(levels, in_place);
  CHECK((in_place == normalization_apply(levels, pixels)));
  CHECK(in_place(0, 0) == -1.0f);
  CHECK(in_place(1, 255) == 1.0f);
  CHECK(in_place(0, 51) == static_cast<float>((51 - 127.5) / 127.5));
}

TEST_CASE("the log-determinant matches a finite-difference Jacobian and the change of density") {
  const Normalization norm{{1.0, -3.0, 0.5}, {2.0, 0.125, 8.0}};
  // The map is affine, so a unit step gives the Jacobian's columns exactly (up to float rounding
  // of the outputs, ~1e-7 relative).
  Tensor2 points = Tensor2::from_shape({4, 3});
  points.fill(0.5f);
  for (std::size_t d = 0; d < 3; ++d) points(d + 1, d) += 1.0f;
  const Tensor2 z = normalization_apply(norm, points);
  double J[3][3];
  for (std::size_t r = 0; r < 3; ++r) {
    for (std::size_t c = 0; c < 3; ++c) J[r][c] = z(c + 1, r) - z(0, r);
  }
  const double det = J[0][0] * (J[1][1] * J[2][2] - J[1][2] * J[2][1]) -
                     J[0][1] * (J[1][0] * J[2][2] - J[1][2] * J[2][0]) +
                     J[0][2] * (J[1][0] * J[2][1] - J[1][1] * J[2][0]);
  CHECK(normalization_log_det_jacobian(norm) == Approx(std::log(std::abs(det))).margin(1e-6));
  CHECK(normalization_log_det_jacobian(norm) == Approx(-std::log(2.0 * 0.125 * 8.0)));

  // x ~ N(mean, diag std^2) means x_norm ~ N(0, I): NLL_data = NLL_norm - log|det J|.
  const std::vector<double> x = {2.0, -2.9, -4.0};
  std::vector<double> x_norm(3);
  for (std::size_t d = 0; d < 3; ++d) x_norm[d] = (x[d] - norm.mean[d]) / norm.stddev[d];
  const double nll_data = -gaussian_log_density(x, norm.mean, norm.stddev);
  const double nll_norm = -gaussian_log_density(x_norm, {0, 0, 0}, {1, 1, 1});
  CHECK(nll_data == Approx(nll_norm - normalization_log_det_jacobian(norm)).epsilon(1e-12));
}

TEST_CASE("normalization rejects constant, too few and non-finite data") {
  Tensor2 constant = Tensor2::from_shape({5, 2});
  constant.fill(3.5f);
  for (std::size_t i = 0; i < 5; ++i) constant(i, 0) = static_cast<float>(i);
  CHECK_THROWS_WITH(normalization_fit(constant), Catch::Contains("dimension 1") &&
                                                     Catch::Contains("standard deviation 0") &&
                                                     Catch::Contains("positive finite"));
  CHECK_THROWS_WITH(normalization_fit(Tensor2::from_shape({1, 2})),
                    Catch::Contains("standard deviation 0"));
  CHECK_THROWS_WITH(normalization_fit(Tensor2::from_shape({0, 2})),
                    Catch::Contains("need n, D >= 1"));
  Tensor2 with_nan = two_point_data({0, 0}, {1, 1}, 4);
  with_nan(2, 0) = std::numeric_limits<float>::quiet_NaN();
  CHECK_THROWS_WITH(normalization_fit(with_nan),
                    Catch::Contains("dimension 0") && Catch::Contains("nan"));
  with_nan(2, 0) = std::numeric_limits<float>::infinity();
  CHECK_THROWS_WITH(normalization_fit(with_nan), Catch::Contains("dimension 0"));
}

TEST_CASE("normalization apply and undo reject a different number of columns") {
  const Normalization norm{{0, 0}, {1, 1}};
  CHECK_THROWS_WITH(normalization_apply(norm, Tensor2::from_shape({2, 3})),
                    Catch::Contains("3 columns") && Catch::Contains("2 dimensions"));
  CHECK_THROWS_WITH(normalization_undo(norm, Tensor2::from_shape({2, 1})),
                    Catch::Contains("1 columns"));
}

TEST_CASE("normalization JSON round-trips exactly and validates what it reads") {
  const Normalization norm{{0.1, -1e-300, 12345.678901234567}, {1.0 / 3, 1e-20, 7.0}};
  const nlohmann::json json = nlohmann::json::parse(normalization_to_json(norm).dump());
  const Normalization back = normalization_from_json(json);
  CHECK(back.mean == norm.mean);
  CHECK(back.stddev == norm.stddev);

  const auto error_of = [](const char* text) {
    try {
      normalization_from_json(nlohmann::json::parse(text));
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(error_of("[1, 2]"), Catch::Contains("array") && Catch::Contains("expected an object"));
  CHECK_THAT(error_of(R"({"mean": [0]})"), Catch::Contains("no \"std\""));
  CHECK_THAT(error_of(R"({"mean": 0, "std": [1]})"), Catch::Contains("\"mean\" is number"));
  CHECK_THAT(error_of(R"({"mean": [0, "a"], "std": [1, 1]})"),
             Catch::Contains("\"mean\"[1] is string"));
  CHECK_THAT(error_of(R"({"mean": [0, 0], "std": [1]})"),
             Catch::Contains("2 means and 1 standard"));
  CHECK_THAT(error_of(R"({"mean": [], "std": []})"), Catch::Contains("at least 1"));
  CHECK_THAT(error_of(R"({"mean": [0, 0], "std": [1, 0]})"), Catch::Contains("std[1] = 0"));
  CHECK_THAT(error_of(R"({"mean": [0], "std": [-2]})"), Catch::Contains("std[0] = -2"));
  const double inf = std::numeric_limits<double>::infinity();
  CHECK_THROWS_WITH(normalization_validate({{0.0}, {inf}}), Catch::Contains("std[0] = inf"));
  CHECK_THROWS_WITH(normalization_validate({{inf}, {1.0}}), Catch::Contains("mean[0] = inf"));
}
