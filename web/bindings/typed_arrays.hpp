#pragma once
// Copies between C++ buffers and JavaScript typed arrays (copies, never views: a view into the
// WASM heap dangles as soon as memory grows).
#include <emscripten/val.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/tensor.hpp"

namespace diffuse::web {

template <typename T>
emscripten::val to_typed_array(const T* data, std::size_t n) {
  return emscripten::val(emscripten::typed_memory_view(n, data)).call<emscripten::val>("slice");
}

template <typename Container>
emscripten::val to_typed_array(const Container& c) {
  return to_typed_array(c.data(), c.size());
}

// True for a JS Array or any typed array (ArrayBuffer views other than DataView).
inline bool is_js_array(const emscripten::val& v) {
  if (v.isArray()) return true;
  if (v.isUndefined() || v.isNull()) return false;
  return emscripten::val::global("ArrayBuffer").call<bool>("isView", v) &&
         !v.instanceof(emscripten::val::global("DataView"));
}

// A JS array or typed array of numbers as a std::vector<T>. Throws Error naming `what` otherwise.
template <typename T>
std::vector<T> from_js_array(const emscripten::val& array, const char* what = "array") {
  if (!is_js_array(array)) fail(what, " must be an array or a typed array");
  return emscripten::convertJSArrayToNumberVector<T>(array);
}

// A flat array of n * dims finite numbers (row after row) as an (n, dims) tensor.
inline Tensor2 points_from_js(const emscripten::val& flat, std::size_t dims, const char* what = "points") {
  const std::vector<float> values = from_js_array<float>(flat, what);
  if (values.empty() || values.size() % dims != 0) {
    fail(what, " must hold n * ", dims, " numbers (n >= 1), got ", values.size());
  }
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) fail(what, ": value ", i, " is not a finite float32");
  }
  Tensor2 out = Tensor2::from_shape({values.size() / dims, dims});
  std::copy(values.begin(), values.end(), out.data());
  return out;
}

// A sample shape as a JS array: [2], [1, 8, 8].
inline emscripten::val shape_to_js(const SampleShape& shape) {
  emscripten::val out = emscripten::val::array();
  for (std::size_t n : shape) out.call<void>("push", static_cast<double>(n));
  return out;
}

// Strings as a JS array.
inline emscripten::val strings_to_js(const std::vector<std::string>& strings) {
  emscripten::val out = emscripten::val::array();
  for (const auto& s : strings) out.call<void>("push", s);
  return out;
}

// A tensor's values, row after row, as a Float32Array.
inline emscripten::val points_to_js(const Tensor2& points) {
  return to_typed_array(points.data(), points.size());
}

}  // namespace diffuse::web
