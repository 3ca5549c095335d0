#pragma once
// The loops over the flat parameter buffer (base/params.hpp) that every training step runs: the
// Adam/AdamW update, the EMA update and the gradient's squared norm. Each has a scalar twin.
#include <cstddef>

namespace diffuse::kernels {

struct AdamStep {
  float lr;            // learning rate at this step
  float beta1, beta2;  // moment decay rates
  float eps;           // added to sqrt(v_hat)
  float weight_decay;  // AdamW's decoupled decay (0 for plain Adam): p -= lr * wd * p
  float bias_correction1;  // 1 - beta1^k after k updates
  float bias_correction2;  // 1 - beta2^k
};

// m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
// p -= lr * (m / bc1) / (sqrt(v / bc2) + eps) + lr * wd * p     (Kingma & Ba 2015; Loshchilov &
// Hutter 2019 for the decoupled decay). All arrays have n elements. The vector kernel fuses the
// multiply-adds and uses a refined reciprocal instead of the divide: a few roundings from the twin.
void adam_update(float* p, const float* g, float* m, float* v, std::size_t n, const AdamStep& step);
void adam_update_ref(float* p, const float* g, float* m, float* v, std::size_t n,
                     const AdamStep& step);

// ema = decay * ema + (1 - decay) * p
void ema_update(float* ema, const float* p, std::size_t n, float decay);
void ema_update_ref(float* ema, const float* p, std::size_t n, float decay);

// sum of x^2. The scalar twin accumulates in double; the vector kernel sums float32 squares in
// blocks of 64 vectors (relative error about 2^-20) and adds the blocks in double.
double squared_norm(const float* x, std::size_t n);
double squared_norm_ref(const float* x, std::size_t n);

// x *= s
void scale_inplace(float* x, std::size_t n, float s);
void scale_inplace_ref(float* x, std::size_t n, float s);

}  // namespace diffuse::kernels
