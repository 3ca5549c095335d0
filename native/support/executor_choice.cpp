#include "support/executor_choice.hpp"

#include "base/error.hpp"
#include "base/median.hpp"

namespace diffuse {

ExecutorChoice::ExecutorChoice(const Executor& first, const Executor& second, int rounds, int block)
    : executors_{&first, &second}, rounds_(rounds), block_(block) {
  if (rounds < 1 || block < 1) fail("ExecutorChoice: rounds ", rounds, " and block ", block, " must be >= 1");
}

const Executor& ExecutorChoice::current() const {
  return *executors_[decided_ ? chosen_ : blocks_done_ % 2];
}

void ExecutorChoice::unit_done(double seconds) {
  if (decided_) return;
  const int which = blocks_done_ % 2;
  if (!warmed_[which]) {
    warmed_[which] = true;  // the first unit on each executor is a warm-up: not timed, not counted
    return;
  }
  times_[which].push_back(seconds);
  if (++units_in_block_ < block_) return;
  units_in_block_ = 0;
  if (++blocks_done_ < 2 * rounds_) return;
  median_[0] = median(times_[0]);
  median_[1] = median(times_[1]);
  chosen_ = median_[1] < median_[0] ? 1 : 0;
  decided_ = true;
}

}  // namespace diffuse
