#pragma once
// Copies between C++ buffers and JavaScript typed arrays (copies, never views: a view into the
// WASM heap dangles as soon as memory grows).
#include <emscripten/val.h>

#include <cstddef>
#include <vector>

namespace diffuse::web {

template <typename T>
emscripten::val to_typed_array(const T* data, std::size_t n) {
  return emscripten::val(emscripten::typed_memory_view(n, data)).call<emscripten::val>("slice");
}

template <typename Container>
emscripten::val to_typed_array(const Container& c) {
  return to_typed_array(c.data(), c.size());
}

// A JS array or typed array of numbers as a std::vector<T>.
template <typename T>
std::vector<T> from_js_array(const emscripten::val& array) {
  return emscripten::convertJSArrayToNumberVector<T>(array);
}

}  // namespace diffuse::web
