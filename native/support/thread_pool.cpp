#include "support/thread_pool.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "base/error.hpp"

namespace diffuse {
namespace {

// One run() call: lives on the caller's stack while workers may join it.
struct Job {
  const std::function<void(std::size_t)>* task = nullptr;
  std::size_t n = 0;
  std::atomic<std::size_t> next{0};   // next index to hand out
  std::atomic<bool> failed{false};    // a task threw: skip the rest
  std::size_t active = 0;             // workers inside this job (guarded by State::mutex)
  std::mutex error_mutex;
  std::exception_ptr error;
};

}  // namespace

struct ThreadPool::State {
  std::size_t threads = 1;
  std::vector<std::thread> workers;
  std::mutex run_mutex;  // one run() at a time
  std::mutex mutex;      // guards job, generation, stop, Job::active
  std::condition_variable wake;  // workers wait here for a job
  std::condition_variable idle;  // the caller waits here for workers to leave a job
  Job* job = nullptr;
  std::uint64_t generation = 0;
  bool stop = false;

  void worker_loop();
  void work_on(Job& job);
};

namespace {
// The pool whose task the current thread is running, so that a nested run() goes inline.
thread_local const void* current_pool = nullptr;
}  // namespace

void ThreadPool::State::work_on(Job& j) {
  const void* outer = current_pool;
  current_pool = this;
  for (;;) {
    const std::size_t i = j.next.fetch_add(1, std::memory_order_relaxed);
    if (i >= j.n) break;
    if (j.failed.load(std::memory_order_relaxed)) continue;
    try {
      (*j.task)(i);
    } catch (...) {
      std::lock_guard<std::mutex> lock(j.error_mutex);
      if (!j.error) j.error = std::current_exception();
      j.failed.store(true, std::memory_order_relaxed);
    }
  }
  current_pool = outer;
}

void ThreadPool::State::worker_loop() {
  std::uint64_t seen = 0;
  std::unique_lock<std::mutex> lock(mutex);
  for (;;) {
    wake.wait(lock, [&] { return stop || (job != nullptr && generation != seen); });
    if (stop) return;
    seen = generation;
    Job* j = job;
    ++j->active;
    lock.unlock();
    work_on(*j);
    lock.lock();
    if (--j->active == 0) idle.notify_all();
  }
}

ThreadPool::ThreadPool(std::size_t threads) : state_(std::make_unique<State>()) {
  if (threads == 0) fail("thread count = 0: must be at least 1");
  state_->threads = threads;
  state_->workers.reserve(threads - 1);
  try {
    for (std::size_t t = 1; t < threads; ++t) {
      state_->workers.emplace_back([s = state_.get()] { s->worker_loop(); });
    }
  } catch (...) {
    stop_and_join();  // the threads already started must not outlive a failed constructor
    throw;
  }
}

ThreadPool::~ThreadPool() { stop_and_join(); }

void ThreadPool::stop_and_join() {
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->stop = true;
  }
  state_->wake.notify_all();
  for (std::thread& w : state_->workers) {
    if (w.joinable()) w.join();
  }
}

void ThreadPool::run(std::size_t n, const std::function<void(std::size_t)>& task) const {
  if (n == 0) return;
  State& s = *state_;
  if (s.workers.empty() || n == 1 || current_pool == &s) {
    for (std::size_t i = 0; i < n; ++i) task(i);
    return;
  }
  std::lock_guard<std::mutex> run_lock(s.run_mutex);
  Job j;
  j.task = &task;
  j.n = n;
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    s.job = &j;
    ++s.generation;
  }
  s.wake.notify_all();
  s.work_on(j);  // every index is handed out when this returns
  {
    // Wait for workers still inside the job, then unpublish it so that none joins it late.
    std::unique_lock<std::mutex> lock(s.mutex);
    s.idle.wait(lock, [&] { return j.active == 0; });
    s.job = nullptr;
  }
  if (j.error) std::rethrow_exception(j.error);
}

std::size_t ThreadPool::concurrency() const { return state_->threads; }

std::size_t ThreadPool::hardware_threads() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : n;
}

}  // namespace diffuse
