// Loss-by-t buckets: coverage of [0, T), bias-corrected averages equal the plain average of a
// constant stream, and buckets never touched report NaN.
#include <catch2/catch.hpp>

#include <cmath>

#include "base/error.hpp"
#include "diffusion/loss_by_t.hpp"

using namespace diffuse;

TEST_CASE("buckets partition [0, T) and bucket_start inverts bucket_of") {
  for (int T : {1, 7, 100, 1000}) {
    for (int K : {1, 3, 7}) {
      if (K > T) continue;
      LossByT tracker(T, K);
      for (int t = 0; t < T; ++t) {
        const int k = tracker.bucket_of(t);
        REQUIRE(k >= 0);
        REQUIRE(k < K);
        CHECK(tracker.bucket_start(k) <= t);
        CHECK((k + 1 == K || t < tracker.bucket_start(k + 1)));
      }
      CHECK(tracker.bucket_start(0) == 0);
      CHECK(tracker.bucket_start(K) == T);
    }
  }
}

TEST_CASE("bias correction makes a constant stream read as its value from the first batch") {
  LossByT tracker(100, 4, 0.9);
  Steps t = {0, 1, 30, 99};
  tracker.add(t, {2.0, 4.0, 5.0, 7.0});
  auto v = tracker.values();
  CHECK(v[0] == Approx(3.0));
  CHECK(v[1] == Approx(5.0));
  CHECK(std::isnan(v[2]));
  CHECK(v[3] == Approx(7.0));
  for (int i = 0; i < 50; ++i) tracker.add(t, {2.0, 4.0, 5.0, 7.0});
  v = tracker.values();
  CHECK(v[0] == Approx(3.0));
  CHECK(tracker.counts()[0] == 102);
}

TEST_CASE("invalid tracker settings are rejected") {
  CHECK_THROWS_AS(LossByT(10, 11), Error);
  CHECK_THROWS_AS(LossByT(10, 2, 1.0), Error);
}
