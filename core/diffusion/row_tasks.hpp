#pragma once
// Splits row-wise work into executor tasks of consecutive rows. Each row's result must depend only
// on the row (rows write disjoint memory), so results never depend on the executor.
#include <algorithm>
#include <cstddef>

#include "base/executor.hpp"

namespace diffuse {

constexpr std::size_t rows_per_task = 256;

// Runs block_task(first, end) over consecutive blocks of at most rows_per_task rows covering
// [0, n), one executor task each (so a task can set up scratch space once per block).
template <typename BlockTask>
void run_row_blocks(std::size_t n, const Executor& executor, const BlockTask& block_task) {
  const std::size_t tasks = (n + rows_per_task - 1) / rows_per_task;
  executor.run(tasks, [&](std::size_t task) {
    block_task(task * rows_per_task, std::min(n, (task + 1) * rows_per_task));
  });
}

// Runs row_task(b) for every b in [0, n), in blocks as above.
template <typename RowTask>
void run_rows(std::size_t n, const Executor& executor, const RowTask& row_task) {
  run_row_blocks(n, executor, [&](std::size_t first, std::size_t end) {
    for (std::size_t b = first; b < end; ++b) row_task(b);
  });
}

}  // namespace diffuse
