// The 2D data sets against their definitions in docs/reference-workload.md, checked from the
// points alone: which component or arm a point belongs to (nearest centre or curve), the
// component proportions, and the noise around each component. Tolerances are derived from the
// sample size (support/statistics.hpp, support/counts.hpp); small deterministic biases of the
// geometry (curvature) are bounded separately and added, with the derivation next to them.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <vector>

#include "base/error.hpp"
#include "data/toy2d.hpp"
#include "support/counts.hpp"
#include "support/statistics.hpp"

using namespace diffuse;
using namespace diffuse::test;

namespace {

constexpr double pi = 3.141592653589793238462643383279502884;

struct Moments {
  std::size_t n = 0;
  double mean = 0, variance = 0;
};

Moments moments(const std::vector<double>& v) {
  Moments m;
  m.n = v.size();
  for (double x : v) m.mean += x;
  m.mean /= static_cast<double>(m.n);
  for (double x : v) m.variance += (x - m.mean) * (x - m.mean);
  m.variance /= static_cast<double>(m.n - 1);
  return m;
}

Tensor2 draw(const char* name, std::size_t n, std::uint64_t seed) {
  Rng rng(seed, toy2d_rng_stream);
  return toy2d_sample(name, n, rng);
}

// A radius of an arc of a circle: for a point at distance r from the centre, r - R is the
// radial component of the noise plus eps_t^2 / (2R) + O(eps^3) (expand sqrt((R + eps_r)^2 +
// eps_t^2)). So with isotropic N(0, sigma^2) noise the residual has mean sigma^2 / (2R) and
// variance sigma^2, both up to O(sigma^4 / R^2) terms that we add to the tolerance.
void check_ring_residuals(const std::vector<double>& residuals, double R, double sigma) {
  const Moments m = moments(residuals);
  const double s2 = sigma * sigma;
  const double higher_order = s2 * s2 / (R * R);
  CHECK(std::abs(m.mean - s2 / (2 * R)) <= mean_tolerance(s2, m.n) + higher_order);
  CHECK(std::abs(m.variance - s2) <= gaussian_variance_tolerance(s2, m.n) + 3 * higher_order);
  for (double r : residuals) {
    if (std::abs(r) > 6 * sigma) FAIL_CHECK("residual " << r << " beyond 6 sigma");
  }
}

// Angles of an arc of [0, pi] blurred by isotropic noise: the blur (the angle of u + eps relative
// to u) is independent of the angle itself, so the density stays exactly flat farther than the
// blur from the ends (here >= 7 angular sigmas). Three interior bins of width pi/4 each hold 1/4.
void check_arc_angles_uniform(const std::vector<double>& angles) {
  const std::size_t n = angles.size();
  for (int k = 0; k < 3; ++k) {
    const double lo = pi / 8 + k * pi / 4;
    std::size_t count = 0;
    for (double a : angles) count += (a >= lo && a < lo + pi / 4) ? 1 : 0;
    CHECK(std::abs(count - n / 4.0) <= binomial_tolerance(n, 0.25));
  }
}

// Proportions by nearest centre (chi-square against uniform weights), then per component the
// mean and variance of each coordinate against centre and sigma^2. Misassignment needs a noise
// excursion of half the distance between centres, >= 7.6 sigma for both mixtures.
void check_mixture(const Tensor2& x, const std::vector<std::array<double, 2>>& centres,
                   double sigma) {
  const std::size_t K = centres.size();
  std::vector<std::vector<double>> coords(2 * K);
  std::vector<std::size_t> counts(K, 0);
  for (std::size_t i = 0; i < x.shape(0); ++i) {
    std::size_t best = 0;
    double best_d2 = 1e300;
    for (std::size_t k = 0; k < K; ++k) {
      const double dx = x(i, 0) - centres[k][0], dy = x(i, 1) - centres[k][1];
      if (dx * dx + dy * dy < best_d2) best_d2 = dx * dx + dy * dy, best = k;
    }
    ++counts[best];
    coords[2 * best].push_back(x(i, 0));
    coords[2 * best + 1].push_back(x(i, 1));
  }
  CHECK(chi_square_statistic(counts, std::vector<double>(K, 1.0 / K)) <= chi_square_bound(K - 1));
  const double s2 = sigma * sigma;
  for (std::size_t k = 0; k < K; ++k) {
    for (int d = 0; d < 2; ++d) {
      const Moments m = moments(coords[2 * k + d]);
      CHECK(std::abs(m.mean - centres[k][d]) <= mean_tolerance(s2, m.n));
      CHECK(std::abs(m.variance - s2) <= gaussian_variance_tolerance(s2, m.n));
    }
  }
}

// The nearest point of a parametric curve c(s), s in [s0, s1]: a grid search, then golden-section
// refinement between the grid neighbours (the squared distance is unimodal there because the grid
// spacing is far below the curve's radius of curvature and the gap between its turns).
struct Nearest {
  double s, distance;
};
using Curve = std::function<std::array<double, 2>(double)>;

class CurveIndex {
 public:
  CurveIndex(Curve curve, double s0, double s1, std::size_t grid)
      : curve_(std::move(curve)), s0_(s0), step_((s1 - s0) / (grid - 1)) {
    for (std::size_t k = 0; k < grid; ++k) points_.push_back(curve_(s0 + k * step_));
  }
  Nearest nearest(double x, double y) const {
    std::size_t best = 0;
    double best_d2 = 1e300;
    for (std::size_t k = 0; k < points_.size(); ++k) {
      const double dx = x - points_[k][0], dy = y - points_[k][1];
      if (dx * dx + dy * dy < best_d2) best_d2 = dx * dx + dy * dy, best = k;
    }
    double lo = s0_ + (best == 0 ? 0.0 : (best - 1.0) * step_);
    double hi = s0_ + std::min<double>(best + 1.0, points_.size() - 1.0) * step_;
    const auto d2 = [&](double s) {
      const auto p = curve_(s);
      return (x - p[0]) * (x - p[0]) + (y - p[1]) * (y - p[1]);
    };
    const double g = (std::sqrt(5.0) - 1) / 2;
    for (int it = 0; it < 60; ++it) {
      const double a = hi - g * (hi - lo), b = lo + g * (hi - lo);
      if (d2(a) < d2(b))
        hi = b;
      else
        lo = a;
    }
    const double s = (lo + hi) / 2;
    return {s, std::sqrt(d2(s))};
  }

 private:
  Curve curve_;
  double s0_, step_;
  std::vector<std::array<double, 2>> points_;
};

// Distance to a curve for isotropic noise of variance sigma^2: the normal component of the noise
// plus a curvature term; E d^2 = sigma^2 (1 + 3 sigma^2 / (4 R^2)) for radius of curvature R (the
// circle expansion above, squared), so we allow a relative bias `curvature_bias` on top of the
// sampling error (Var d^2 = 2 sigma^4 for Gaussian normal noise).
void check_curve_distances(const std::vector<double>& distances, double sigma,
                           double curvature_bias) {
  std::vector<double> squares;
  for (double d : distances) squares.push_back(d * d);
  const Moments m = moments(squares);
  const double s2 = sigma * sigma;
  CHECK(std::abs(m.mean - s2) <= mean_tolerance(2 * s2 * s2, m.n) + curvature_bias * s2);
}

}  // namespace

TEST_CASE("toy2d names round-trip and unknown names list the allowed ones") {
  const auto names = toy2d_sets.names();
  REQUIRE(names.size() == 7);
  for (const auto& name : names) CHECK(toy2d_sets.name(toy2d_sets.value(name)) == name);
  try {
    toy2d_sets.value("moon");
    FAIL("no error for an unknown data set");
  } catch (const Error& e) {
    const std::string message = e.what();
    CHECK(message.find("'moon'") != std::string::npos);
    for (const auto& name : names) CHECK(message.find(name) != std::string::npos);
  }
}

TEST_CASE("toy2d draws are a function of the seed: same seed same points, other seed others") {
  for (const auto& name : toy2d_sets.names()) {
    INFO(name);
    const Tensor2 a = draw(name.c_str(), 257, 5), b = draw(name.c_str(), 257, 5);
    const Tensor2 c = draw(name.c_str(), 257, 6);
    REQUIRE(a.shape(0) == 257);
    REQUIRE(a.shape(1) == 2);
    CHECK(a == b);
    CHECK(a != c);
    for (float v : a) CHECK(std::isfinite(v));
    CHECK(draw(name.c_str(), 0, 5).shape(0) == 0);
  }
}

TEST_CASE("moons: two unit half circles, arms of probability 1/2, uniform angle, noise 0.05") {
  const std::size_t n = 100000;
  const double sigma = 0.05;
  const Tensor2 x = draw("moons", n, 1);
  // Arm by distance to each arc (the half circles, not the full circles, which cross).
  // Upper: centre (0, 0), angle atan2(y, x) in [0, pi]. Lower: centre (1, 1/2), the point is
  // c - (cos a, sin a), so a = atan2(1/2 - y, 1 - x).
  const auto arc_distance = [](double px, double py, double cx, double cy, double sign) {
    const double qx = sign * (px - cx), qy = sign * (py - cy);
    const double angle = std::atan2(qy, qx);
    if (angle >= 0) return std::abs(std::hypot(qx, qy) - 1.0);
    return std::min(std::hypot(qx - 1, qy), std::hypot(qx + 1, qy));  // nearest end
  };
  std::vector<double> residuals[2], angles[2];
  for (std::size_t i = 0; i < n; ++i) {
    const double px = x(i, 0), py = x(i, 1);
    const int arm = arc_distance(px, py, 0, 0, 1) <= arc_distance(px, py, 1, 0.5, -1) ? 0 : 1;
    const double qx = arm == 0 ? px : 1 - px, qy = arm == 0 ? py : 0.5 - py;
    residuals[arm].push_back(std::hypot(qx, qy) - 1.0);
    angles[arm].push_back(std::atan2(qy, qx));
  }
  CHECK(std::abs(residuals[0].size() - n / 2.0) <= binomial_tolerance(n, 0.5));
  for (int arm = 0; arm < 2; ++arm) {
    INFO("arm " << arm);
    check_ring_residuals(residuals[arm], 1.0, sigma);
    check_arc_angles_uniform(angles[arm]);
  }
}

TEST_CASE("circles: radii 1 and 1/2 with probability 1/2, uniform angle, noise 0.03") {
  const std::size_t n = 100000;
  const double sigma = 0.03;
  const Tensor2 x = draw("circles", n, 2);
  std::vector<double> residuals[2];
  std::vector<std::size_t> angle_bins[2] = {std::vector<std::size_t>(8, 0),
                                            std::vector<std::size_t>(8, 0)};
  for (std::size_t i = 0; i < n; ++i) {
    const double r = std::hypot(x(i, 0), x(i, 1));
    const int ring = r >= 0.75 ? 0 : 1;  // rings 0.5 apart: 8 sigma to the midpoint
    residuals[ring].push_back(r - (ring == 0 ? 1.0 : 0.5));
    // Isotropic noise keeps the angle exactly uniform over the whole circle.
    const double angle = std::atan2(x(i, 1), x(i, 0)) + pi;  // [0, 2 pi]
    ++angle_bins[ring][std::min<std::size_t>(7, static_cast<std::size_t>(angle / (2 * pi) * 8))];
  }
  CHECK(std::abs(residuals[0].size() - n / 2.0) <= binomial_tolerance(n, 0.5));
  for (int ring = 0; ring < 2; ++ring) {
    INFO("ring " << ring);
    check_ring_residuals(residuals[ring], ring == 0 ? 1.0 : 0.5, sigma);
    CHECK(chi_square_statistic(angle_bins[ring], std::vector<double>(8, 1.0 / 8)) <=
          chi_square_bound(7));
  }
}

TEST_CASE("gaussians8: eight equal components on the circle of radius 2, sigma 0.1") {
  std::vector<std::array<double, 2>> centres;
  for (int k = 0; k < 8; ++k)
    centres.push_back({2 * std::cos(2 * pi * k / 8), 2 * std::sin(2 * pi * k / 8)});
  check_mixture(draw("gaussians8", 80000, 3), centres, 0.1);
}

TEST_CASE("gaussians25: 25 equal components on the grid {-2..2}^2, sigma 0.05") {
  std::vector<std::array<double, 2>> centres;
  for (int a = -2; a <= 2; ++a) {
    for (int b = -2; b <= 2; ++b) centres.push_back({double(a), double(b)});
  }
  check_mixture(draw("gaussians25", 200000, 4), centres, 0.05);
}

TEST_CASE("checkerboard: every point in a dark square, uniform over the squares and within") {
  const std::size_t n = 80000;
  const Tensor2 x = draw("checkerboard", n, 5);
  std::vector<std::size_t> squares(16, 0), within(16, 0);
  for (std::size_t i = 0; i < n; ++i) {
    const double px = x(i, 0), py = x(i, 1);
    REQUIRE(px >= -2);
    REQUIRE(px < 2);
    REQUIRE(py >= -2);
    REQUIRE(py < 2);
    const int col = static_cast<int>(std::floor(px)), row = static_cast<int>(std::floor(py));
    // Dark squares are those with floor(x) + floor(y) even (e.g. [0, 1)^2 holds y = U[0, 1)).
    REQUIRE((col + row) % 2 == 0);
    ++squares[(row + 2) * 4 + (col + 2)];
    const int fx = static_cast<int>((px - col) * 4), fy = static_cast<int>((py - row) * 4);
    ++within[fy * 4 + fx];
  }
  std::vector<std::size_t> dark;
  for (int k = 0; k < 16; ++k) {
    if ((k / 4 + k % 4) % 2 == 0) dark.push_back(squares[k]);
  }
  REQUIRE(dark.size() == 8);
  CHECK(chi_square_statistic(dark, std::vector<double>(8, 1.0 / 8)) <= chi_square_bound(7));
  CHECK(chi_square_statistic(within, std::vector<double>(16, 1.0 / 16)) <= chi_square_bound(15));
}

TEST_CASE("swissroll: near (s cos s, s sin s) / 5 with s uniform on [1.5 pi, 4.5 pi], noise 0.1") {
  const std::size_t n = 20000;
  const double sigma = 0.1, s0 = 1.5 * pi, s1 = 4.5 * pi;
  const Tensor2 x = draw("swissroll", n, 6);
  const CurveIndex curve(
      [](double s) {
        return std::array<double, 2>{s * std::cos(s) / 5, s * std::sin(s) / 5};
      },
      s0, s1, 2000);
  std::vector<double> distances;
  // Four interior bins of s, one unit from either end (>= 10 parameter-space noise widths
  // sigma / |c'(s)| <= 0.1 / 0.94): each holds (s1 - s0 - 2) / 4 / (s1 - s0) of the points.
  std::vector<std::size_t> bins(4, 0);
  const double bin = (s1 - s0 - 2) / 4;
  for (std::size_t i = 0; i < n; ++i) {
    const Nearest p = curve.nearest(x(i, 0), x(i, 1));
    if (p.distance > 6 * sigma)
      FAIL_CHECK("point " << i << " is " << p.distance << " from the curve");
    if (p.s < s0 + 1 || p.s >= s1 - 1) continue;
    distances.push_back(p.distance);
    ++bins[static_cast<std::size_t>((p.s - s0 - 1) / bin)];
  }
  const double p_bin = bin / (s1 - s0);
  for (std::size_t count : bins) CHECK(std::abs(count - n * p_bin) <= binomial_tolerance(n, p_bin));
  // Radius of curvature of the spiral rho = theta / 5 at rho >= 0.94 is >= 0.9 (Archimedean
  // spiral: (rho^2 + a^2)^(3/2) / (rho^2 + 2 a^2), a = 1/5): bias 3 sigma^2 / (4 R^2) <= 0.0093.
  check_curve_distances(distances, sigma, 0.0093);
}

TEST_CASE(
    "spirals: two arms (-r cos r, r sin r) / 3 and its negation, r = 3 pi sqrt(u), noise 0.1/3") {
  const std::size_t n = 20000;
  const double sigma = 0.1 / 3;
  const Tensor2 x = draw("spirals", n, 7);
  const auto arm = [](double sign) {
    return [sign](double r) {
      return std::array<double, 2>{-sign * r * std::cos(r) / 3, sign * r * std::sin(r) / 3};
    };
  };
  const CurveIndex arms[2] = {CurveIndex(arm(1), 0, 3 * pi, 2000),
                              CurveIndex(arm(-1), 0, 3 * pi, 2000)};
  std::vector<double> distances;
  std::size_t below_pi = 0, below_2pi = 0, arm0 = 0, away_from_centre = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const Nearest a = arms[0].nearest(x(i, 0), x(i, 1)), b = arms[1].nearest(x(i, 0), x(i, 1));
    const Nearest& p = a.distance <= b.distance ? a : b;
    if (p.distance > 6 * sigma)
      FAIL_CHECK("point " << i << " is " << p.distance << " from the arms");
    below_pi += p.s < pi ? 1 : 0;
    below_2pi += p.s < 2 * pi ? 1 : 0;
    if (p.s < 1.5) continue;  // the arms meet at the centre, where the curvature is large
    ++away_from_centre;
    arm0 += &p == &a ? 1 : 0;
    distances.push_back(p.distance);
  }
  // P(r < rho) = P(u < (rho / 3 pi)^2): 1/9 at pi, 4/9 at 2 pi. The noise moves the nearest r by
  // a symmetric amount, which leaves a linear density (that of r) unchanged in the interior.
  CHECK(std::abs(below_pi - n / 9.0) <= binomial_tolerance(n, 1.0 / 9));
  CHECK(std::abs(below_2pi - n * 4 / 9.0) <= binomial_tolerance(n, 4.0 / 9));
  CHECK(std::abs(arm0 - away_from_centre / 2.0) <= binomial_tolerance(away_from_centre, 0.5));
  // Radius of curvature at r >= 1.5 (rho = r / 3 >= 0.5, a = 1/3) is >= 0.46: bias
  // 3 sigma^2 / (4 R^2) <= 0.004.
  check_curve_distances(distances, sigma, 0.004);
}
