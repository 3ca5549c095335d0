#pragma once
// ExecutorChoice: which of two executors runs a long series of identical work units (training
// steps) faster, found by timing the first units. On a machine whose "cores" are hyperthreads of
// one physical core (this project's CI machine), all threads train slower than one, because the
// threads share one set of FMA units and pay for every hand-off; on a machine with real cores, all
// threads win for big batches. Rather than guess, `diffuse train` measures: it alternates blocks of
// `block` units on each executor, `rounds` times, then keeps the one with the lower median time
// per unit. Each executor's first unit is not timed (it grows per-thread scratch buffers). Results
// never depend on the choice: core's kernels give the same bits for every thread count (tests).
#include <cstddef>
#include <vector>

#include "base/executor.hpp"

namespace diffuse {

class ExecutorChoice {
 public:
  // rounds >= 1, block >= 1.
  ExecutorChoice(const Executor& first, const Executor& second, int rounds = 3, int block = 8);

  // The executor for the next unit: alternating while measuring, then the chosen one.
  const Executor& current() const;
  // The wall time of the unit just run on current(). Ignored once decided.
  void unit_done(double seconds);

  bool decided() const { return decided_; }
  // Median seconds per unit measured on the first (0) or second (1) executor; 0 before decided().
  double seconds_per_unit(int which) const { return median_[which]; }
  // 0 or 1: which executor won (meaningful once decided()).
  int chosen() const { return chosen_; }

 private:
  const Executor* executors_[2];
  int rounds_, block_;
  int units_in_block_ = 0, blocks_done_ = 0;
  bool warmed_[2] = {false, false};
  std::vector<double> times_[2];
  double median_[2] = {0, 0};
  int chosen_ = 0;
  bool decided_ = false;
};

}  // namespace diffuse
