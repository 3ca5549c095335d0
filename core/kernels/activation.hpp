#pragma once
// Element-wise activations and the small row operations around a linear layer, each with its
// scalar twin (*_ref, same signature). Backward functions take the pre-activation x and
// overwrite dx (they do not accumulate). The vector kernels (activation_simd.hpp) agree with the
// twins to a few float32 roundings (GELU: plus the conditioning of erfc and exp on its argument);
// relu's backward selects, so a non-finite dy where x <= 0 still gives 0 (PyTorch's behaviour).
//   relu(x) = max(x, 0)
//   silu(x) = x * sigmoid(x)                 silu'(x) = s (1 + x (1 - s)), s = sigmoid(x)
//   gelu(x) = x * Phi(x) (exact, erf form, as torch.nn.GELU())   gelu'(x) = Phi(x) + x phi(x)
#include <cstddef>
#include <string>
#include <string_view>

#include "base/enum_names.hpp"

namespace diffuse::kernels {

enum class Activation { identity, relu, silu, gelu };

// Names (base/enum_names.hpp).
inline const EnumNames<Activation> activations{"activation",
                                               {{Activation::identity, "identity"},
                                                {Activation::relu, "relu"},
                                                {Activation::silu, "silu"},
                                                {Activation::gelu, "gelu"}}};

// y = act(x), n elements; y may alias x.
void activation_forward(Activation act, float* y, const float* x, std::size_t n);
void activation_forward_ref(Activation act, float* y, const float* x, std::size_t n);

// dx = dy * act'(x), n elements; dx may alias dy.
void activation_backward(Activation act, float* dx, const float* dy, const float* x, std::size_t n);
void activation_backward_ref(Activation act, float* dx, const float* dy, const float* x,
                             std::size_t n);

// d = act'(x), n elements; d may alias x. Bit for bit activation_backward with dy = 1.
void activation_derivative(Activation act, float* d, const float* x, std::size_t n);
void activation_derivative_ref(Activation act, float* d, const float* x, std::size_t n);

// y(b, j) += bias(j) for y (B, N).
void add_bias_rows(float* y, const float* bias, std::size_t B, std::size_t N);
void add_bias_rows_ref(float* y, const float* bias, std::size_t B, std::size_t N);

// db(j) += sum_b dy(b, j) for dy (B, N): the bias gradient.
void sum_rows_accumulate(float* db, const float* dy, std::size_t B, std::size_t N);
void sum_rows_accumulate_ref(float* db, const float* dy, std::size_t B, std::size_t N);

}  // namespace diffuse::kernels
