#include "diffusion/divergence.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "base/error.hpp"

namespace diffuse {

DivergenceWatch::DivergenceWatch(std::size_t window, double factor, std::size_t refresh)
    : window_size_(window), refresh_(refresh), factor_(factor) {
  if (window < 1 || refresh < 1 || !(factor > 1)) {
    fail("DivergenceWatch: window ", window, ", refresh ", refresh, " and factor ", factor, " are invalid");
  }
  window_.reserve(window);
}

double DivergenceWatch::median() const {
  if (window_.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::vector<double> sorted = window_;
  const std::size_t n = sorted.size(), mid = n / 2;
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(mid), sorted.end());
  const double upper = sorted[mid];
  if (n % 2 == 1) return upper;
  const double lower = *std::max_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(mid));
  return 0.5 * (lower + upper);
}

bool DivergenceWatch::diverged(double loss) {
  if (!std::isfinite(loss)) return true;
  if (!window_.empty() && loss > 0.5 * factor_ * cached_median_) {
    cached_median_ = median();  // exact, before deciding
    since_refresh_ = 0;
    if (loss > factor_ * cached_median_) return true;
  }
  if (window_.size() < window_size_) {
    window_.push_back(loss);
  } else {
    window_[next_] = loss;
    next_ = (next_ + 1) % window_size_;
  }
  if (++since_refresh_ >= refresh_ || window_.size() == 1) {
    cached_median_ = median();
    since_refresh_ = 0;
  }
  return false;
}

}  // namespace diffuse
