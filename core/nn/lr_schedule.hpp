#pragma once
// Learning-rate schedules (docs/reference-workload.md, "Training defaults"), as diffusers'
// get_cosine_schedule_with_warmup / get_constant_schedule_with_warmup (torch LambdaLR), for the
// update with 0-based index k (k = 0 is the first update; W warmup steps, N total steps):
//   warmup     lr_k = base * k / W                                for k < W (0 at k = 0)
//   cosine     lr_k = base * (1 + cos(pi (k - W) / (N - W))) / 2  for W <= k <= N, 0 after
//   constant   lr_k = base                                        for k >= W
#include <cstdint>
#include <string>
#include <string_view>

#include "base/enum_names.hpp"

namespace diffuse {

enum class LrScheduleKind { constant, cosine };

// Names (base/enum_names.hpp).
inline const EnumNames<LrScheduleKind> lr_schedule_kinds{
    "learning-rate schedule",
    {{LrScheduleKind::cosine, "cosine"}, {LrScheduleKind::constant, "constant"}}};

struct LrSchedule {
  LrScheduleKind kind = LrScheduleKind::cosine;
  double base_lr = 1e-3;
  std::int64_t warmup_steps = 100;   // W
  std::int64_t total_steps = 10000;  // N: the run's number of updates
};

// Throws diffuse::Error naming the field, its value and what is allowed.
void lr_schedule_validate(const LrSchedule& schedule);

// The learning rate of update k (0-based). The last update, k = N - 1, gets a small positive rate
// (base sin^2(pi / (2 (N - W)))), as in diffusers; from k = N on the cosine schedule gives 0.
float lr_schedule_at(const LrSchedule& schedule, std::int64_t k);

}  // namespace diffuse
