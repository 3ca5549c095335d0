// Build information and the RNG, so that JavaScript can report the SIMD arch and tests can check
// that the WebAssembly build draws the same numbers as the native one.
#include <emscripten/bind.h>
#include <emscripten/heap.h>

#include <vector>

#include "base/rng.hpp"
#include "base/version.hpp"
#include "executor.hpp"
#include "guard.hpp"
#include "kernels/arch.hpp"
#include "settings.hpp"
#include "typed_arrays.hpp"

namespace diffuse::web {
namespace {

using emscripten::val;

val build_info() {
  val out = val::object();
  out.set("version", std::string(version_string));
  out.set("simd", kernels::simd_arch_name());
  out.set("floatLanes", static_cast<int>(kernels::simd_float_lanes()));
  out.set("threaded", page_threaded());                         // the -pthread module (executor.hpp)
  out.set("threads", static_cast<int>(page_threads()));         // what core work is split over
  return out;
}

// The WebAssembly memory's current size in bytes (it only grows).
double memory_bytes() { return static_cast<double>(emscripten_get_heap_size()); }

// rngDraws(seed, stream, n): seeds are decimal strings (64-bit values do not fit a JS number).
val rng_draws(const std::string& seed, const std::string& stream, int n) {
  return guarded([&] {
    const auto s = std::stoull(seed), k = std::stoull(stream);
    std::vector<std::uint32_t> u32(n);
    std::vector<float> uniform(n), normal(n);
    Rng(s, k).fill_u32(u32.data(), n);
    Rng(s, k).fill_uniform(uniform.data(), n);
    Rng(s, k).fill_normal(normal.data(), n);
    val out = val::object();
    out.set("u32", to_typed_array(u32));
    out.set("uniform", to_typed_array(uniform));
    out.set("normal", to_typed_array(normal));
    return out;
  });
}

}  // namespace
}  // namespace diffuse::web

EMSCRIPTEN_BINDINGS(diffuse_info) {
  emscripten::function("buildInfo", &diffuse::web::build_info);
  emscripten::function("rngDraws", &diffuse::web::rng_draws);
  emscripten::function("memoryBytes", &diffuse::web::memory_bytes);
  emscripten::function("settingsSpec", &diffuse::web::settings_spec);
}
