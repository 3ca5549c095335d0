#pragma once
// Tensor aliases used at every core boundary: static rank, concrete element type (never xarray).
// Shape letters (fixed project-wide): B batch, D data dimension, E embedding width, H hidden width,
// C channels, T diffusion steps.
#include <cstddef>
#include <cstdint>
#include <xtensor/xtensor.hpp>

namespace diffuse {

using Tensor1 = xt::xtensor<float, 1>;
using Tensor2 = xt::xtensor<float, 2>;
using Tensor3 = xt::xtensor<float, 3>;
using Tensor4 = xt::xtensor<float, 4>;
using Table = xt::xtensor<double, 1>;      // (T,) schedule tables are float64
using Steps = xt::xtensor<std::int32_t, 1>;  // (B,) a timestep index per example

}  // namespace diffuse
