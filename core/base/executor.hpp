#pragma once
// Executor: how core code asks for work to be split, without owning threads (core/ has none).
// Native code passes a thread pool; the browser and tests use the serial executor. Tasks must be
// independent and write disjoint memory, so results never depend on the number of threads.
#include <cstddef>
#include <functional>

namespace diffuse {

class Executor {
 public:
  virtual ~Executor() = default;
  // Runs task(i) for i in [0, n), possibly concurrently, and returns when all have finished.
  virtual void run(std::size_t n, const std::function<void(std::size_t)>& task) const = 0;
  // How many tasks can usefully run at once (1 for the serial executor).
  virtual std::size_t concurrency() const = 0;
};

class SerialExecutor final : public Executor {
 public:
  void run(std::size_t n, const std::function<void(std::size_t)>& task) const override {
    for (std::size_t i = 0; i < n; ++i) task(i);
  }
  std::size_t concurrency() const override { return 1; }
};

// The process-wide serial executor, the default wherever an executor is optional.
inline const Executor& serial_executor() {
  static const SerialExecutor serial;
  return serial;
}

}  // namespace diffuse
