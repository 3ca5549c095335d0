// The scalar twins of the convolution: the defining sums as direct loops, in double.
#include <vector>

#include "base/check.hpp"
#include "kernels/conv2d.hpp"

namespace diffuse::kernels {
namespace {

// The input coordinate s i + u - p of output coordinate i under tap u, or -1 outside [0, n).
long input_coordinate(const Conv2dShape& s, std::size_t i, std::size_t u, std::size_t n) {
  const long at = static_cast<long>(s.stride * i + u) - static_cast<long>(s.padding);
  return at >= 0 && at < static_cast<long>(n) ? at : -1;
}

}  // namespace

void conv2d_forward_ref(float* y, const float* x, const float* weight, const float* bias,
                        const Conv2dShape& s) {
  DIFFUSE_ASSERT(conv2d_shape_valid(s));
  const std::size_t Ho = s.out_height(), Wo = s.out_width(), k = s.kernel;
  for (std::size_t b = 0; b < s.batch; ++b) {
    for (std::size_t o = 0; o < s.out_channels; ++o) {
      for (std::size_t i = 0; i < Ho; ++i) {
        for (std::size_t j = 0; j < Wo; ++j) {
          double sum = bias == nullptr ? 0.0 : bias[o];
          for (std::size_t c = 0; c < s.in_channels; ++c) {
            for (std::size_t u = 0; u < k; ++u) {
              const long yi = input_coordinate(s, i, u, s.height);
              if (yi < 0) continue;
              for (std::size_t v = 0; v < k; ++v) {
                const long xi = input_coordinate(s, j, v, s.width);
                if (xi < 0) continue;
                const double xv = x[((b * s.in_channels + c) * s.height + yi) * s.width + xi];
                sum += xv * weight[((o * s.in_channels + c) * k + u) * k + v];
              }
            }
          }
          y[((b * s.out_channels + o) * Ho + i) * Wo + j] = static_cast<float>(sum);
        }
      }
    }
  }
}

void conv2d_backward_ref(float* dx, float* dweight, float* dbias, const float* dy, const float* x,
                         const float* weight, const Conv2dShape& s) {
  DIFFUSE_ASSERT(conv2d_shape_valid(s));
  const std::size_t Ho = s.out_height(), Wo = s.out_width(), k = s.kernel;
  const std::size_t Cin = s.in_channels, Cout = s.out_channels, H = s.height, W = s.width;
  std::vector<double> gx(dx == nullptr ? 0 : s.input_size(), 0.0);
  std::vector<double> gw(s.weight_size(), 0.0), gb(Cout, 0.0);
  for (std::size_t b = 0; b < s.batch; ++b) {
    for (std::size_t o = 0; o < Cout; ++o) {
      for (std::size_t i = 0; i < Ho; ++i) {
        for (std::size_t j = 0; j < Wo; ++j) {
          const double g = dy[((b * Cout + o) * Ho + i) * Wo + j];
          gb[o] += g;
          for (std::size_t c = 0; c < Cin; ++c) {
            for (std::size_t u = 0; u < k; ++u) {
              const long yi = input_coordinate(s, i, u, H);
              if (yi < 0) continue;
              for (std::size_t v = 0; v < k; ++v) {
                const long xi = input_coordinate(s, j, v, W);
                if (xi < 0) continue;
                const std::size_t at = ((b * Cin + c) * H + yi) * W + xi;
                const std::size_t w_at = ((o * Cin + c) * k + u) * k + v;
                gw[w_at] += g * x[at];
                if (dx != nullptr) gx[at] += g * weight[w_at];
              }
            }
          }
        }
      }
    }
  }
  for (std::size_t i = 0; i < gx.size(); ++i) dx[i] = static_cast<float>(gx[i]);
  for (std::size_t i = 0; i < gw.size(); ++i) {
    dweight[i] = static_cast<float>(gw[i] + static_cast<double>(dweight[i]));
  }
  if (dbias != nullptr) {
    for (std::size_t o = 0; o < Cout; ++o) {
      dbias[o] = static_cast<float>(gb[o] + static_cast<double>(dbias[o]));
    }
  }
}

}  // namespace diffuse::kernels
