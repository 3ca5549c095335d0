#include "data/toy2d.hpp"

#include <algorithm>
#include <cmath>

#include "base/error.hpp"

namespace diffuse {
namespace {

constexpr double pi = 3.141592653589793238462643383279502884;

std::vector<std::int32_t> draw_below(Rng& rng, std::size_t n, std::uint32_t bound) {
  std::vector<std::int32_t> out(n);
  rng.fill_below(out.data(), n, bound);
  return out;
}

std::vector<float> draw_uniform(Rng& rng, std::size_t n) {
  std::vector<float> out(n);
  rng.fill_uniform(out.data(), n);
  return out;
}

// The output filled with N(0, sigma^2) noise per coordinate (drawn last, row by row), to which the
// caller adds the noiseless point.                                                   // (n, 2)
Tensor2 noise(Rng& rng, std::size_t n, double sigma) {
  Tensor2 out = Tensor2::from_shape({n, 2});
  std::vector<double> z(2 * n);
  rng.fill_normal(z.data(), z.size());
  for (std::size_t i = 0; i < 2 * n; ++i) out.data()[i] = static_cast<float>(sigma * z[i]);
  return out;
}

// The discrete draw that picked each point's component is its class label.
void copy_labels(Labels* labels, const std::vector<std::int32_t>& drawn) {
  if (labels == nullptr) return;
  *labels = Labels::from_shape({drawn.size()});
  std::copy(drawn.begin(), drawn.end(), labels->begin());
}

void add_point(Tensor2& out, std::size_t i, double x, double y) {
  out(i, 0) = static_cast<float>(x + out(i, 0));
  out(i, 1) = static_cast<float>(y + out(i, 1));
}

// Draws: arm (n, below 2), a / pi (n, uniform), noise (2n, normal).
Tensor2 sample_moons(std::size_t n, Rng& rng, Labels* labels) {
  const auto arm = draw_below(rng, n, 2);
  copy_labels(labels, arm);
  const auto u = draw_uniform(rng, n);
  Tensor2 out = noise(rng, n, 0.05);
  for (std::size_t i = 0; i < n; ++i) {
    const double a = pi * u[i];
    if (arm[i] == 0) {
      add_point(out, i, std::cos(a), std::sin(a));
    } else {
      add_point(out, i, 1.0 - std::cos(a), 0.5 - std::sin(a));
    }
  }
  return out;
}

// Draws: ring (n, below 2: 0 is radius 1), angle / 2 pi (n, uniform), noise (2n, normal).
Tensor2 sample_circles(std::size_t n, Rng& rng, Labels* labels) {
  const auto ring = draw_below(rng, n, 2);
  copy_labels(labels, ring);
  const auto u = draw_uniform(rng, n);
  Tensor2 out = noise(rng, n, 0.03);
  for (std::size_t i = 0; i < n; ++i) {
    const double radius = ring[i] == 0 ? 1.0 : 0.5;
    const double angle = 2.0 * pi * u[i];
    add_point(out, i, radius * std::cos(angle), radius * std::sin(angle));
  }
  return out;
}

// Draws: centre k (n, below 8), noise (2n, normal).
Tensor2 sample_gaussians8(std::size_t n, Rng& rng, Labels* labels) {
  const auto k = draw_below(rng, n, 8);
  copy_labels(labels, k);
  Tensor2 out = noise(rng, n, 0.1);
  for (std::size_t i = 0; i < n; ++i) {
    const double angle = 2.0 * pi * k[i] / 8.0;
    add_point(out, i, 2.0 * std::cos(angle), 2.0 * std::sin(angle));
  }
  return out;
}

// Draws: grid cell k (n, below 25; centre (k / 5 - 2, k mod 5 - 2)), noise (2n, normal).
Tensor2 sample_gaussians25(std::size_t n, Rng& rng, Labels* labels) {
  const auto k = draw_below(rng, n, 25);
  copy_labels(labels, k);
  Tensor2 out = noise(rng, n, 0.05);
  for (std::size_t i = 0; i < n; ++i) add_point(out, i, k[i] / 5 - 2, k[i] % 5 - 2);
  return out;
}

// Draws: u (n, uniform), noise (2n, normal).
Tensor2 sample_swissroll(std::size_t n, Rng& rng) {
  const auto u = draw_uniform(rng, n);
  Tensor2 out = noise(rng, n, 0.1);
  for (std::size_t i = 0; i < n; ++i) {
    const double s = 1.5 * pi * (1.0 + 2.0 * u[i]);
    add_point(out, i, s * std::cos(s) / 5.0, s * std::sin(s) / 5.0);
  }
  return out;
}

// Draws: b (n, below 2), x (n, uniform), y's U[0, 1) part (n, uniform).
Tensor2 sample_checkerboard(std::size_t n, Rng& rng) {
  const auto b = draw_below(rng, n, 2);
  const auto ux = draw_uniform(rng, n);
  const auto uy = draw_uniform(rng, n);
  Tensor2 out = Tensor2::from_shape({n, 2});
  for (std::size_t i = 0; i < n; ++i) {
    // x = 4u - 2 with u a multiple of 2^-24 is a multiple of 2^-22 in [-2, 2): exact in float.
    const double x = 4.0 * ux[i] - 2.0;
    const auto column = static_cast<long>(std::floor(x));
    const long parity = ((column % 2) + 2) % 2;                  // floor(x) mod 2, non-negative
    const double base = static_cast<double>(parity - 2 * b[i]);  // the square's lower edge
    // base + u is exact in double, but rounding it to float can reach base + 1 (the next
    // square, outside the board at y = 2) when |y| >= 1; keep it inside its square.
    float y = static_cast<float>(base + uy[i]);
    if (y >= base + 1.0)
      y = std::nextafter(static_cast<float>(base + 1.0), static_cast<float>(base));
    out(i, 0) = static_cast<float>(x);
    out(i, 1) = y;
  }
  return out;
}

// Draws: arm (n, below 2: 1 is the negated arm), u (n, uniform), noise (2n, normal).
Tensor2 sample_spirals(std::size_t n, Rng& rng, Labels* labels) {
  const auto arm = draw_below(rng, n, 2);
  copy_labels(labels, arm);
  const auto u = draw_uniform(rng, n);
  Tensor2 out =
      noise(rng, n, 0.1 / 3.0);  // (point + N(0, 0.1^2)) / 3 = point / 3 + N(0, (0.1/3)^2)
  for (std::size_t i = 0; i < n; ++i) {
    const double r = std::sqrt(static_cast<double>(u[i])) * 3.0 * pi;
    const double sign = arm[i] == 0 ? 1.0 : -1.0;
    add_point(out, i, -sign * r * std::cos(r) / 3.0, sign * r * std::sin(r) / 3.0);
  }
  return out;
}

}  // namespace

std::size_t toy2d_classes(Toy2d set) {
  switch (set) {
    case Toy2d::moons: case Toy2d::circles: case Toy2d::spirals: return 2;
    case Toy2d::gaussians8: return 8;
    case Toy2d::gaussians25: return 25;
    case Toy2d::swissroll: case Toy2d::checkerboard: return 0;
  }
  return 0;
}

Tensor2 toy2d_sample(Toy2d set, std::size_t n, Rng& rng, Labels* labels) {
  if (labels != nullptr && toy2d_classes(set) == 0) {
    fail("data set '", toy2d_sets.name(set), "' has no class labels: labeled sets are ",
         "moons, circles, gaussians8, gaussians25, spirals");
  }
  switch (set) {
    case Toy2d::moons:
      return sample_moons(n, rng, labels);
    case Toy2d::circles:
      return sample_circles(n, rng, labels);
    case Toy2d::gaussians8:
      return sample_gaussians8(n, rng, labels);
    case Toy2d::gaussians25:
      return sample_gaussians25(n, rng, labels);
    case Toy2d::swissroll:
      return sample_swissroll(n, rng);
    case Toy2d::checkerboard:
      return sample_checkerboard(n, rng);
    case Toy2d::spirals:
      return sample_spirals(n, rng, labels);
  }
  fail("unknown data set id ", static_cast<int>(set));
}

Tensor2 toy2d_sample(std::string_view name, std::size_t n, Rng& rng, Labels* labels) {
  return toy2d_sample(toy2d_sets.value(name), n, rng, labels);
}

}  // namespace diffuse
