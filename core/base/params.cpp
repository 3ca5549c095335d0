#include "base/params.hpp"

#include <functional>
#include <numeric>

#include "base/error.hpp"

namespace diffuse {
namespace {
constexpr std::size_t slice_alignment_floats = simd_alignment / sizeof(float);
}

std::size_t ParamLayout::add(const std::string& name, std::vector<std::size_t> shape) {
  if (contains(name)) fail("parameter '", name, "' is defined twice");
  ParamSlice slice;
  slice.name = name;
  slice.size = std::accumulate(shape.begin(), shape.end(), std::size_t{1}, std::multiplies<>());
  slice.shape = std::move(shape);
  slice.offset = (total_ + slice_alignment_floats - 1) / slice_alignment_floats * slice_alignment_floats;
  total_ = slice.offset + slice.size;
  count_ += slice.size;
  slices_.push_back(std::move(slice));
  return slices_.back().offset;
}

const ParamSlice& ParamLayout::find(const std::string& name) const {
  for (const auto& s : slices_) {
    if (s.name == name) return s;
  }
  fail("no parameter named '", name, "'");
}

bool ParamLayout::contains(const std::string& name) const {
  for (const auto& s : slices_) {
    if (s.name == name) return true;
  }
  return false;
}

AlignedBuffer params_allocate(const ParamLayout& layout) { return AlignedBuffer(layout.total(), 0.0f); }

}  // namespace diffuse
