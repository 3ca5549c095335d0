#pragma once
// A flat parameter buffer (base/params.hpp) as safetensors tensors and back: every slice of the
// layout is one tensor, named prefix + slice name, of the slice's shape. Shared by the diffusion
// checkpoints (io/checkpoint.hpp) and the classifier's (io/classifier_checkpoint.hpp).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/aligned.hpp"
#include "base/params.hpp"
#include "io/safetensors.hpp"

namespace diffuse {

// Appends a view of every slice of buffer (layout.total() floats), named prefix + slice name.
void param_tensors_add(std::vector<SafetensorsTensorView>& views, const ParamLayout& layout,
                       const AlignedBuffer& buffer, const std::string& prefix);

// A zero-filled buffer of the layout with every slice copied from the tensor prefix + slice name.
// Throws Error naming `source` and the tensor unless each is present with exactly the slice's
// shape and only finite values.
AlignedBuffer param_tensors_read(const Safetensors& file, const ParamLayout& layout,
                                 const std::string& prefix, std::string_view source);

// The largest safetensors file the weights of this layout can fill: 8 bytes per parameter (F64,
// the widest dtype safetensors_read converts) plus 16 MiB of header. A larger file is refused
// before it is read.
std::uint64_t param_tensors_max_file_bytes(const ParamLayout& layout);

}  // namespace diffuse
