#pragma once
// NumPy's .npy format (numpy.lib.format). Writing, version 1.0: the magic "\x93NUMPY", the version bytes
// 1 0, the header length as a little-endian uint16, then the header, an ASCII Python dict literal
//   {'descr': '<f4', 'fortran_order': False, 'shape': (F, N, D), }
// padded with spaces and ended by '\n' so that the data starts at a multiple of 64 bytes (what
// numpy itself writes), then the float32 values little-endian in C order.
#include <cstddef>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

namespace diffuse::cli {

// `data` holds product(shape) floats in C order. Throws Error if the header would not fit v1.0.
void npy_write(std::ostream& out, const float* data, const std::vector<std::size_t>& shape);

struct NpyArray {
  std::vector<std::size_t> shape;
  std::vector<float> values;  // (product(shape),) in C order
};

// Reading a whole file's bytes: versions 1.0, 2.0 and 3.0 (4-byte header length), the dict's
// three keys in any order, 'descr' '<f4' (float32, as written) or '<f8' (float64, rounded to
// nearest float32: numpy's default dtype), 'fortran_order' False, and a shape of at most 8
// dimensions. The data must hold exactly product(shape) values: this is checked before anything
// is allocated. Anything else throws Error "SOURCE: ..." naming what was found and what is allowed.
NpyArray npy_read(std::string_view bytes, std::string_view source);

// A file's rows for a model whose samples have the given shape: the .npy at path (read through
// `flag`'s bounded reader) must have shape (n, ...sample_shape) with n >= 1; returns (n, D) rows.
// Error naming the flag, the file's shape and the one allowed otherwise.
std::vector<float> npy_read_rows(const std::string& flag, const std::string& path,
                                 const std::vector<std::size_t>& sample_shape, std::size_t& n);

}  // namespace diffuse::cli
