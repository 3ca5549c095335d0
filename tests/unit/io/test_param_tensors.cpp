// A flat parameter buffer as safetensors tensors and back: names with a prefix, shapes, the gaps
// between slices, and every rejection.
#include <catch2/catch.hpp>

#include <cmath>
#include <sstream>

#include "base/error.hpp"
#include "io/param_tensors.hpp"

using namespace diffuse;

TEST_CASE("param_tensors: a buffer through safetensors and back") {
  ParamLayout layout;
  layout.add("a.weight", {2, 3});
  layout.add("a.bias", {2});
  AlignedBuffer buffer = params_allocate(layout);
  for (const ParamSlice& s : layout.slices()) {
    for (std::size_t i = 0; i < s.size; ++i)
      buffer[s.offset + i] = static_cast<float>(s.offset + i) + 0.5f;
  }
  std::vector<SafetensorsTensorView> views;
  param_tensors_add(views, layout, buffer, "p.");
  REQUIRE(views.size() == 2);
  CHECK(views[0].name == "p.a.weight");
  CHECK(views[1].shape == std::vector<std::size_t>{2});
  std::ostringstream out;
  safetensors_write(out, views);
  const std::string bytes = out.str();
  const Safetensors file =
      safetensors_read(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  const AlignedBuffer back = param_tensors_read(file, layout, "p.", "f");
  const bool same = back == buffer;  // the alignment gap stays 0 in both
  CHECK(same);
  CHECK_THROWS_WITH(param_tensors_read(file, layout, "q.", "f"),
                    "f: tensor 'q.a.weight' is missing for this model configuration");
  ParamLayout other;
  other.add("a.weight", {3, 2});
  CHECK_THROWS_WITH(param_tensors_read(file, other, "p.", "f"),
                    "f: tensor 'p.a.weight' has shape [2, 3] but the model needs [3, 2]");
  Safetensors bad = file;
  bad.tensors[1].values[1] = INFINITY;
  CHECK_THROWS_WITH(param_tensors_read(bad, layout, "p.", "f"),
                    "f: tensor 'p.a.bias' holds a non-finite value (inf) at index 1");
}

TEST_CASE("param_tensors: the largest weights file of a layout is 8 bytes a parameter plus 16 MiB") {
  ParamLayout layout;
  layout.add("a.weight", {2, 3});
  layout.add("a.bias", {2});
  CHECK(param_tensors_max_file_bytes(layout) == 8 * 8 + (16u << 20));
}
