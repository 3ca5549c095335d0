#include "nn/lr_schedule.hpp"

#include <algorithm>
#include <cmath>

#include "base/error.hpp"

namespace diffuse {

void lr_schedule_validate(const LrSchedule& s) {
  if (!(s.base_lr > 0.0 && std::isfinite(s.base_lr))) {
    fail("learning rate = ", s.base_lr, " must be finite and > 0");
  }
  if (s.total_steps < 1) fail("steps = ", s.total_steps, " must be >= 1");
  if (s.warmup_steps < 0 || s.warmup_steps > s.total_steps) {
    fail("warmup steps = ", s.warmup_steps, " must be in 0..steps (", s.total_steps, ")");
  }
}

float lr_schedule_at(const LrSchedule& s, std::int64_t k) {
  const double kd = static_cast<double>(std::max<std::int64_t>(k, 0));
  const double W = static_cast<double>(s.warmup_steps);
  if (kd < W) return static_cast<float>(s.base_lr * kd / W);
  if (s.kind == LrScheduleKind::constant) return static_cast<float>(s.base_lr);
  const double span = std::max(1.0, static_cast<double>(s.total_steps) - W);
  const double progress = std::min(1.0, (kd - W) / span);  // 0 from k = N on
  const double pi = 3.14159265358979323846;
  return static_cast<float>(s.base_lr * std::max(0.0, 0.5 * (1.0 + std::cos(pi * progress))));
}

}  // namespace diffuse
