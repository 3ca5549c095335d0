#pragma once
// Splits row-wise work into executor tasks of consecutive rows. Each row's result must depend only
// on the row (rows write disjoint memory), so results never depend on the executor.
#include <algorithm>
#include <cstddef>

#include "base/executor.hpp"

namespace diffuse {

constexpr std::size_t rows_per_task = 256;

// Runs row_task(b) for every b in [0, n), rows_per_task consecutive rows per executor task.
template <typename RowTask>
void run_rows(std::size_t n, const Executor& executor, const RowTask& row_task) {
  const std::size_t tasks = (n + rows_per_task - 1) / rows_per_task;
  executor.run(tasks, [&](std::size_t task) {
    const std::size_t end = std::min(n, (task + 1) * rows_per_task);
    for (std::size_t b = task * rows_per_task; b < end; ++b) row_task(b);
  });
}

}  // namespace diffuse
