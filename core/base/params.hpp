#pragma once
// Parameters, gradients and optimizer moments share one flat layout (ARCHITECTURE lesson 3):
// named slices point into one contiguous float buffer, so Adam and EMA are one loop over it, a
// checkpoint is a list of named slices, and the page can post all weights as one Float32Array.
//
// Names and shapes are PyTorch's: a Linear's weight is "layers.0.weight" with shape [out, in], so
// a torch.nn.Module of the same structure loads a checkpoint directly.
#include <cstddef>
#include <string>
#include <vector>

#include "base/aligned.hpp"

namespace diffuse {

struct ParamSlice {
  std::string name;                // e.g. "layers.0.weight"
  std::vector<std::size_t> shape;  // e.g. {128, 34}
  std::size_t offset = 0;          // in floats, from the start of the buffer; a multiple of 16
  std::size_t size = 0;            // product of shape
};

class ParamLayout {
 public:
  // Appends a slice and returns its offset. Every slice starts on a 64-byte boundary so that
  // SIMD loads of any parameter are aligned; the gaps are zero and never read as parameters.
  std::size_t add(const std::string& name, std::vector<std::size_t> shape);

  const std::vector<ParamSlice>& slices() const { return slices_; }
  std::size_t total() const { return total_; }        // buffer length, including alignment gaps
  std::size_t count() const { return count_; }        // number of actual parameters
  const ParamSlice& find(const std::string& name) const;  // throws Error if absent
  bool contains(const std::string& name) const;

 private:
  std::vector<ParamSlice> slices_;
  std::size_t total_ = 0;
  std::size_t count_ = 0;
};

// A zero-filled buffer of layout.total() floats.
AlignedBuffer params_allocate(const ParamLayout& layout);

}  // namespace diffuse
