#include "metrics/class_agreement.hpp"

#include <cmath>

#include "base/error.hpp"

namespace diffuse {

double ClassAgreement::overall() const {
  return total == 0 ? 0.0 : static_cast<double>(total_agreed) / static_cast<double>(total);
}

double ClassAgreement::of_class(std::size_t k) const {
  return requested[k] == 0 ? NAN
                           : static_cast<double>(agreed[k]) / static_cast<double>(requested[k]);
}

ClassAgreement class_agreement(const Labels& requested, const Labels& predicted, std::size_t K) {
  if (K < 1) fail("class agreement: K = 0 classes");
  if (requested.size() != predicted.size()) {
    fail("class agreement: ", requested.size(), " requested classes but ", predicted.size(),
         " predictions");
  }
  ClassAgreement out;
  out.requested.assign(K, 0);
  out.agreed.assign(K, 0);
  out.total = requested.size();
  const auto classes = static_cast<std::int64_t>(K);
  for (std::size_t i = 0; i < requested.size(); ++i) {
    const std::int32_t r = requested(i), p = predicted(i);
    if (r < 0 || r >= classes || p < 0 || p >= classes) {
      fail("class agreement: entry ", i, " has class ", r, " and prediction ", p,
           ": both must be in 0..", K - 1);
    }
    ++out.requested[static_cast<std::size_t>(r)];
    if (r == p) {
      ++out.agreed[static_cast<std::size_t>(r)];
      ++out.total_agreed;
    }
  }
  return out;
}

}  // namespace diffuse
