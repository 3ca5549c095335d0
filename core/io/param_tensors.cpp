#include "io/param_tensors.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "base/error.hpp"

namespace diffuse {
namespace {

std::string shape_text(const std::vector<std::size_t>& s) {
  std::string out = "[";
  for (std::size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

}  // namespace

void param_tensors_add(std::vector<SafetensorsTensorView>& views, const ParamLayout& layout,
                       const AlignedBuffer& buffer, const std::string& prefix) {
  for (const ParamSlice& s : layout.slices()) {
    views.push_back({prefix + s.name, s.shape, buffer.data() + s.offset});
  }
}

AlignedBuffer param_tensors_read(const Safetensors& file, const ParamLayout& layout,
                                 const std::string& prefix, std::string_view source) {
  // Every tensor is checked against the layout before the buffer is allocated: a configuration
  // that claims a huge model is refused by the tensors the file lacks, never by a failed (or a
  // successful, and wasted) allocation of what it claims.
  std::vector<const SafetensorsTensor*> tensors;
  for (const ParamSlice& slice : layout.slices()) {
    const std::string name = prefix + slice.name;
    const SafetensorsTensor* t = file.find(name);
    if (t == nullptr) fail(source, ": tensor '", name, "' is missing for this model configuration");
    if (t->shape != slice.shape) {
      fail(source, ": tensor '", name, "' has shape ", shape_text(t->shape),
           " but the model needs ", shape_text(slice.shape));
    }
    tensors.push_back(t);
  }
  AlignedBuffer buffer = params_allocate(layout);
  for (std::size_t k = 0; k < tensors.size(); ++k) {
    const SafetensorsTensor* t = tensors[k];
    const ParamSlice& slice = layout.slices()[k];
    const std::string name = prefix + slice.name;
    for (std::size_t i = 0; i < t->values.size(); ++i) {
      if (!std::isfinite(t->values[i])) {
        fail(source, ": tensor '", name, "' holds a non-finite value (", t->values[i],
             ") at index ", i);
      }
    }
    std::copy(t->values.begin(), t->values.end(), buffer.begin() + slice.offset);
  }
  return buffer;
}

std::uint64_t param_tensors_max_file_bytes(const ParamLayout& layout) {
  return 8 * static_cast<std::uint64_t>(layout.count()) + (16u << 20);
}

}  // namespace diffuse
