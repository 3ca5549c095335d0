#pragma once
// The WebAssembly boundary never lets a C++ exception escape into JavaScript (where it would be
// an opaque WebAssembly.Exception): every binding runs through guarded(), which returns the
// result object with ok = true, or { ok: false, error: "message" }.
#include <emscripten/val.h>

#include <exception>
#include <string>

#include "base/error.hpp"

namespace diffuse::web {

template <typename Body>
emscripten::val guarded(Body&& body) {
  try {
    emscripten::val out = body();
    out.set("ok", true);
    return out;
  } catch (const Error& e) {
    emscripten::val out = emscripten::val::object();
    out.set("ok", false);
    out.set("error", std::string(e.what()));
    return out;
  } catch (const std::exception& e) {
    emscripten::val out = emscripten::val::object();
    out.set("ok", false);
    out.set("error", std::string("internal error: ") + e.what());
    return out;
  }
}

}  // namespace diffuse::web
