#pragma once
// Tensor aliases used at every core boundary: static rank, concrete element type (never xarray).
// Shape letters (fixed project-wide): B batch, D data dimension, E embedding width, H hidden width,
// C channels, T diffusion steps.
#include <cstddef>
#include <cstdint>
#include <vector>
#include <xtensor/xtensor.hpp>

namespace diffuse {

using Tensor1 = xt::xtensor<float, 1>;
using Tensor2 = xt::xtensor<float, 2>;
using Tensor3 = xt::xtensor<float, 3>;
using Tensor4 = xt::xtensor<float, 4>;
using Table = xt::xtensor<double, 1>;      // (T,) schedule tables are float64
using Steps = xt::xtensor<std::int32_t, 1>;  // (B,) a timestep index per example
using Labels = xt::xtensor<std::int32_t, 1>;  // (B,) a class label per example

// The shape of one sample: {D} for points, {C, H, W} for images. A batch of B samples is a
// Tensor2 (B, D) whose row b is sample b in row-major (C-) order, D the product of the shape;
// for images that is exactly NCHW memory.
using SampleShape = std::vector<std::size_t>;

inline std::size_t sample_shape_size(const SampleShape& shape) {
  std::size_t size = 1;
  for (std::size_t n : shape) size *= n;
  return shape.empty() ? 0 : size;
}

}  // namespace diffuse
