// Learning-rate schedules at steps whose values are known in closed form.
#include <catch2/catch.hpp>

#include "base/error.hpp"
#include "nn/lr_schedule.hpp"

using namespace diffuse;
using Catch::Contains;

TEST_CASE("cosine with warmup: 0 at the start, base after warmup, known points, 0 at the end") {
  const LrSchedule s;  // cosine, 1e-3, W = 100, N = 10000
  CHECK(lr_schedule_at(s, 0) == 0.0f);
  CHECK(lr_schedule_at(s, 1) == Approx(1e-5).epsilon(1e-6));
  CHECK(lr_schedule_at(s, 50) == Approx(5e-4).epsilon(1e-6));
  CHECK(lr_schedule_at(s, 99) == Approx(9.9e-4).epsilon(1e-6));
  CHECK(lr_schedule_at(s, 100) == Approx(1e-3).epsilon(1e-6));
  // (1 + cos(pi p)) / 2 at p = 1/3, 1/2, 2/3 of the 9,900 decay steps: 0.75, 0.5, 0.25.
  CHECK(lr_schedule_at(s, 100 + 3300) == Approx(7.5e-4).epsilon(1e-6));
  CHECK(lr_schedule_at(s, 100 + 4950) == Approx(5e-4).epsilon(1e-6));
  CHECK(lr_schedule_at(s, 100 + 6600) == Approx(2.5e-4).epsilon(1e-6));
  // The last update (k = N - 1) is (1 + cos(pi 9899/9900)) / 2 = sin^2(pi / 19800) of base.
  CHECK(lr_schedule_at(s, 9999) == Approx(1e-3 * 2.5175e-8).epsilon(1e-3));
  CHECK(lr_schedule_at(s, 10000) == 0.0f);
  CHECK(lr_schedule_at(s, 20000) == 0.0f);  // clamped, never negative
  for (std::int64_t k = 101; k < 10000; k += 97) {
    CHECK(lr_schedule_at(s, k) <= lr_schedule_at(s, k - 1));  // monotone decay
  }
}

TEST_CASE("constant schedule with and without warmup") {
  LrSchedule s;
  s.kind = LrScheduleKind::constant;
  s.base_lr = 2e-3;
  s.warmup_steps = 10;
  CHECK(lr_schedule_at(s, 0) == 0.0f);
  CHECK(lr_schedule_at(s, 5) == Approx(1e-3).epsilon(1e-6));
  CHECK(lr_schedule_at(s, 10) == 2e-3f);
  CHECK(lr_schedule_at(s, 9999) == 2e-3f);
  s.warmup_steps = 0;
  CHECK(lr_schedule_at(s, 0) == 2e-3f);
  s.kind = LrScheduleKind::cosine;
  CHECK(lr_schedule_at(s, 0) == 2e-3f);  // no warmup: the decay starts at base
}

TEST_CASE("invalid schedules name the setting and the allowed range") {
  LrSchedule s;
  s.base_lr = 0;
  CHECK_THROWS_WITH(lr_schedule_validate(s), Contains("learning rate = 0") && Contains("> 0"));
  s = LrSchedule{};
  s.total_steps = 0;
  CHECK_THROWS_WITH(lr_schedule_validate(s), Contains("steps = 0") && Contains(">= 1"));
  s = LrSchedule{};
  s.warmup_steps = 20000;
  CHECK_THROWS_WITH(lr_schedule_validate(s),
                    Contains("warmup steps = 20000") && Contains("0..steps"));
  CHECK_NOTHROW(lr_schedule_validate(LrSchedule{}));
  CHECK(lr_schedule_kinds.value("constant") == LrScheduleKind::constant);
  CHECK(lr_schedule_kinds.name(LrScheduleKind::cosine) == "cosine");
  CHECK_THROWS_WITH(lr_schedule_kinds.value("linear"),
                    Contains("'linear'") && Contains("cosine, constant"));
}
