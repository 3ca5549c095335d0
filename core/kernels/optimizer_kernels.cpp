#include "kernels/optimizer_kernels.hpp"

namespace diffuse::kernels {

// Placeholders until the xsimd versions land: the scalar twins.
void adam_update(float* p, const float* g, float* m, float* v, std::size_t n, const AdamStep& step) {
  adam_update_ref(p, g, m, v, n, step);
}
void ema_update(float* ema, const float* p, std::size_t n, float decay) {
  ema_update_ref(ema, p, n, decay);
}
double squared_norm(const float* x, std::size_t n) { return squared_norm_ref(x, n); }
void scale_inplace(float* x, std::size_t n, float s) { scale_inplace_ref(x, n, s); }

}  // namespace diffuse::kernels
