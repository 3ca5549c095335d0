// Per-class agreement between requested classes and predictions, counted by hand.
#include <catch2/catch.hpp>

#include <cmath>

#include "base/error.hpp"
#include "metrics/class_agreement.hpp"

using namespace diffuse;

TEST_CASE("class_agreement: per class and overall, counted by hand") {
  const Labels requested = {0, 0, 0, 1, 1, 2, 2, 2, 2};
  const Labels predicted = {0, 1, 0, 1, 1, 0, 2, 1, 2};
  const ClassAgreement a = class_agreement(requested, predicted, 4);
  // Element by element: GCC 12.2's SLP vectorizer with AVX-512 (-march=x86-64-v4 or native on an
  // AVX-512 machine, -O2 and up) builds std::vector<std::size_t>{2, 2, 2, 0} here as a broadcast
  // of 2, {2, 2, 2, 2}, so comparing with that literal failed although the result was right
  // (-fno-tree-slp-vectorize or -march=x86-64-v3 build it correctly).
  const std::size_t requested_counts[] = {3, 2, 4, 0}, agreed_counts[] = {2, 2, 2, 0};
  REQUIRE(a.requested.size() == 4);
  REQUIRE(a.agreed.size() == 4);
  for (std::size_t k = 0; k < 4; ++k) {
    CHECK(a.requested[k] == requested_counts[k]);
    CHECK(a.agreed[k] == agreed_counts[k]);
  }
  CHECK(a.total == 9);
  CHECK(a.total_agreed == 6);
  CHECK(a.overall() == 6.0 / 9.0);
  CHECK(a.of_class(0) == 2.0 / 3.0);
  CHECK(a.of_class(1) == 1.0);
  CHECK(a.of_class(2) == 0.5);
  CHECK(std::isnan(a.of_class(3)));  // nothing requested
  CHECK(class_agreement(Labels::from_shape({0}), Labels::from_shape({0}), 2).overall() == 0.0);
}

TEST_CASE("class_agreement: errors") {
  CHECK_THROWS_WITH(class_agreement(Labels{0, 1}, Labels{0}, 2),
                    "class agreement: 2 requested classes but 1 predictions");
  CHECK_THROWS_WITH(class_agreement(Labels{0, 2}, Labels{0, 1}, 2),
                    "class agreement: entry 1 has class 2 and prediction 1: both must be in 0..1");
  CHECK_THROWS_WITH(class_agreement(Labels{0}, Labels{-1}, 2), Catch::Contains("entry 0"));
  CHECK_THROWS_AS(class_agreement(Labels{0}, Labels{0}, 0), Error);
}
