#pragma once
// An executor that runs tasks in reverse order and claims several threads' concurrency, so that
// code which splits its work by concurrency() splits it, and a result that depended on task
// order or on the split would show.
#include <cstddef>
#include <functional>

#include "base/executor.hpp"

namespace diffuse::test {

class ReverseExecutor final : public Executor {
 public:
  void run(std::size_t n, const std::function<void(std::size_t)>& task) const override {
    for (std::size_t i = n; i-- > 0;) task(i);
  }
  std::size_t concurrency() const override { return 3; }
};

}  // namespace diffuse::test
