// The xsimd element-wise kernels: a vector body up to n - n % lanes, then the same vector code on
// a zero-padded copy of the tail, so that every element (tail included) gets exactly the bits the
// fused linear epilogue would give it.
#include "kernels/activation.hpp"
#include "kernels/activation_simd.hpp"

namespace diffuse::kernels {
namespace {

using detail::Batch;
using detail::lanes;

// out[i] = f(x[i]) for n elements: the vector body, then f on a zero-padded copy of the tail.
template <class F>
void map_elements(float* out, const float* x, std::size_t n, F f) {
  const std::size_t n_vec = n - n % lanes;
  for (std::size_t i = 0; i < n_vec; i += lanes) f(Batch::load_unaligned(x + i)).store_unaligned(out + i);
  if (n_vec < n) detail::store_partial(out + n_vec, f(detail::load_partial(x + n_vec, n - n_vec)), n - n_vec);
}

template <Activation act>
void forward(float* y, const float* x, std::size_t n) {
  map_elements(y, x, n, [](Batch v) { return detail::activate<act>(v); });
}

template <Activation act>
void backward(float* dx, const float* dy, const float* x, std::size_t n) {
  const std::size_t n_vec = n - n % lanes;
  for (std::size_t i = 0; i < n_vec; i += lanes) {
    detail::activate_backward<act>(Batch::load_unaligned(dy + i), Batch::load_unaligned(x + i))
        .store_unaligned(dx + i);
  }
  if (n_vec < n) {
    const std::size_t m = n - n_vec;
    const Batch tail = detail::activate_backward<act>(detail::load_partial(dy + n_vec, m),
                                                      detail::load_partial(x + n_vec, m));
    detail::store_partial(dx + n_vec, tail, m);
  }
}

template <Activation act>
void derivative(float* d, const float* x, std::size_t n) {
  map_elements(d, x, n, [](Batch v) { return detail::activate_derivative<act>(v); });
}

}  // namespace

void activation_forward(Activation act, float* y, const float* x, std::size_t n) {
  switch (act) {
    case Activation::identity:
      if (y != x) forward<Activation::identity>(y, x, n);
      return;
    case Activation::relu: return forward<Activation::relu>(y, x, n);
    case Activation::silu: return forward<Activation::silu>(y, x, n);
    case Activation::gelu: return forward<Activation::gelu>(y, x, n);
  }
}

void activation_backward(Activation act, float* dx, const float* dy, const float* x, std::size_t n) {
  switch (act) {
    case Activation::identity:
      if (dx != dy) backward<Activation::identity>(dx, dy, x, n);
      return;
    case Activation::relu: return backward<Activation::relu>(dx, dy, x, n);
    case Activation::silu: return backward<Activation::silu>(dx, dy, x, n);
    case Activation::gelu: return backward<Activation::gelu>(dx, dy, x, n);
  }
}

void activation_derivative(Activation act, float* d, const float* x, std::size_t n) {
  switch (act) {
    case Activation::identity: return derivative<Activation::identity>(d, x, n);
    case Activation::relu: return derivative<Activation::relu>(d, x, n);
    case Activation::silu: return derivative<Activation::silu>(d, x, n);
    case Activation::gelu: return derivative<Activation::gelu>(d, x, n);
  }
}

void add_bias_rows(float* y, const float* bias, std::size_t B, std::size_t N) {
  const std::size_t n_vec = N - N % lanes;
  for (std::size_t b = 0; b < B; ++b) {
    float* row = y + b * N;
    for (std::size_t j = 0; j < n_vec; j += lanes) {
      (Batch::load_unaligned(row + j) + Batch::load_unaligned(bias + j)).store_unaligned(row + j);
    }
    for (std::size_t j = n_vec; j < N; ++j) row[j] += bias[j];
  }
}

void sum_rows_accumulate(float* db, const float* dy, std::size_t B, std::size_t N) {
  // Float vector sums over blocks of `block` rows (streaming dy row by row), added in double across
  // blocks: the relative error stays near block * 2^-24 of sum |dy| however large B is. Columns go
  // in chunks whose sums live on the stack (no allocation).
  constexpr std::size_t block = 64, chunk = 256;
  for (std::size_t j0 = 0; j0 < N; j0 += chunk) {
    const std::size_t n = N - j0 < chunk ? N - j0 : chunk;
    const std::size_t n_vec = n - n % lanes;
    alignas(64) float partial[chunk];
    double total[chunk] = {};
    for (std::size_t b0 = 0; b0 < B; b0 += block) {
      const std::size_t b1 = b0 + block < B ? b0 + block : B;
      for (std::size_t j = 0; j < n; ++j) partial[j] = 0.0f;
      for (std::size_t b = b0; b < b1; ++b) {
        const float* row = dy + b * N + j0;
        for (std::size_t j = 0; j < n_vec; j += lanes) {
          (Batch::load_aligned(partial + j) + Batch::load_unaligned(row + j)).store_aligned(partial + j);
        }
        for (std::size_t j = n_vec; j < n; ++j) partial[j] += row[j];
      }
      for (std::size_t j = 0; j < n; ++j) total[j] += partial[j];
    }
    for (std::size_t j = 0; j < n; ++j) db[j0 + j] += static_cast<float>(total[j]);
  }
}

}  // namespace diffuse::kernels
