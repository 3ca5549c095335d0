// The native thread pool: every index runs exactly once, tasks really run concurrently, exceptions
// reach the caller, nested and concurrent run() calls finish, and the pool is safe to destroy.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "base/error.hpp"
#include "support/thread_pool.hpp"

using namespace diffuse;

TEST_CASE("ThreadPool runs every index exactly once, for any n and thread count") {
  for (std::size_t threads = 1; threads <= 4; ++threads) {
    ThreadPool pool(threads);
    CHECK(pool.concurrency() == threads);
    for (std::size_t n : {0u, 1u, 2u, 7u, 1000u}) {
      std::vector<std::atomic<int>> hits(n);
      for (auto& h : hits) h = 0;
      pool.run(n, [&](std::size_t i) { hits[i].fetch_add(1); });
      for (std::size_t i = 0; i < n; ++i) REQUIRE(hits[i].load() == 1);
    }
  }
}

TEST_CASE("ThreadPool(1) runs tasks inline on the caller's thread") {
  ThreadPool pool(1);
  const auto caller = std::this_thread::get_id();
  bool all_inline = true;
  pool.run(5, [&](std::size_t) { all_inline = all_inline && std::this_thread::get_id() == caller; });
  CHECK(all_inline);
}

TEST_CASE("ThreadPool(2) runs two tasks at the same time") {
  // Whichever thread takes task 0 waits for task 1 to start: this finishes only if another thread
  // takes task 1 while task 0 is still running. The timeout turns a hang into a failure.
  ThreadPool pool(2);
  std::atomic<bool> second_started{false};
  std::atomic<bool> overlapped{false};
  pool.run(2, [&](std::size_t i) {
    if (i == 1) {
      second_started = true;
      return;
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!second_started && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
    overlapped = second_started.load();
  });
  CHECK(overlapped);
}

TEST_CASE("ThreadPool rethrows a task's exception in the caller and stays usable") {
  ThreadPool pool(3);
  std::atomic<int> ran{0};
  CHECK_THROWS_WITH(pool.run(100,
                             [&](std::size_t i) {
                               ran.fetch_add(1);
                               if (i == 10) throw std::runtime_error("task 10 failed");
                             }),
                    "task 10 failed");
  CHECK(ran.load() >= 1);
  std::atomic<int> after{0};
  pool.run(50, [&](std::size_t) { after.fetch_add(1); });
  CHECK(after.load() == 50);
}

TEST_CASE("ThreadPool: a nested run() inside a task runs inline instead of deadlocking") {
  ThreadPool pool(2);
  std::vector<std::atomic<int>> hits(4 * 8);
  for (auto& h : hits) h = 0;
  pool.run(4, [&](std::size_t i) {
    pool.run(8, [&](std::size_t j) { hits[i * 8 + j].fetch_add(1); });
  });
  for (auto& h : hits) REQUIRE(h.load() == 1);
}

TEST_CASE("ThreadPool: run() from two outside threads at once both complete") {
  ThreadPool pool(3);
  std::atomic<long> total{0};
  auto caller = [&] {
    for (int rep = 0; rep < 50; ++rep) pool.run(16, [&](std::size_t i) { total.fetch_add(static_cast<long>(i)); });
  };
  std::thread a(caller), b(caller);
  a.join();
  b.join();
  CHECK(total.load() == 2 * 50 * (15 * 16 / 2));
}

TEST_CASE("ThreadPool is safe to destroy unused, and after many runs") {
  { ThreadPool unused(4); }
  {
    ThreadPool pool(4);
    for (int rep = 0; rep < 200; ++rep) pool.run(3, [](std::size_t) {});
  }
  CHECK_THROWS_AS(ThreadPool(0), Error);
}
