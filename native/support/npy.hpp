#pragma once
// NumPy's .npy format, version 1.0 (numpy.lib.format): the magic "\x93NUMPY", the version bytes
// 1 0, the header length as a little-endian uint16, then the header, an ASCII Python dict literal
//   {'descr': '<f4', 'fortran_order': False, 'shape': (F, N, D), }
// padded with spaces and ended by '\n' so that the data starts at a multiple of 64 bytes (what
// numpy itself writes), then the float32 values little-endian in C order.
#include <cstddef>
#include <iosfwd>
#include <vector>

namespace diffuse::cli {

// `data` holds product(shape) floats in C order. Throws Error if the header would not fit v1.0.
void npy_write(std::ostream& out, const float* data, const std::vector<std::size_t>& shape);

}  // namespace diffuse::cli
