#pragma once
// The U-Net's activation buffers for one chunk of R rows (nn/unet.hpp): one arena carved into
// named buffers (base/arena.hpp). Training keeps every block's cache and output for backward, and
// a gradient buffer for every skip (a skip's gradient comes from two consumers: the next layer of
// the down path and its up block's concatenation); inference keeps the block outputs only (the
// skips), sharing one set of cache buffers. Sizing to the same R is free.
#include <cstddef>
#include <vector>

#include "base/aligned.hpp"
#include "base/arena.hpp"
#include "nn/attention.hpp"
#include "nn/resnet_block.hpp"
#include "nn/unet_config.hpp"

namespace diffuse {

struct UNetOffsets;

// The skips in push order: conv_in's output, each down resnet's output, each downsampler's
// output. skip_count = 1 + n L + (n - 1); up resnet j of up level u takes skip
// skip_count - 1 - (u (L + 1) + j).
struct UNetSkip {
  std::size_t channels, size;
};
std::vector<UNetSkip> unet_skips(const UNetConfig& config);

class UNetWorkspace {
 public:
  // Sizes every buffer for R rows; a no-op when already sized for (R, train).
  void prepare(const UNetConfig& config, std::size_t R, bool train);
  // Floats the arena takes for (config, R, train), without allocating.
  static std::size_t floats(const UNetConfig& config, std::size_t R, bool train);

  std::size_t rows() const { return rows_; }
  bool training() const { return train_; }

  // ---- time embedding ----
  float* t_sin = nullptr;     // (R, C_0) time_proj(t)
  float* t_a = nullptr;       // (R, E) SiLU(linear_1)
  float* t_dact = nullptr;    // (R, E) its derivative (training)
  float* emb = nullptr;       // (R, E) linear_2 [+ class embedding]
  float* emb_act = nullptr;   // (R, E) SiLU(emb), every resnet's input
  float* emb_dact = nullptr;  // (R, E) (training)
  // ---- the network's tensors ----
  float* input = nullptr;                  // (R, C, P_0) the input x (training: conv_in's backward)
  float* h0 = nullptr;                     // (R, C_0, P_0) conv_in's output, skip 0
  std::vector<ResnetCache> down_cache;     // [i L + j]
  std::vector<float*> down_y;              // [i L + j] (R, C_i, P_i)
  std::vector<float*> down_conv;           // [i] (R, C_i, P_{i+1}), levels 0..n-2
  ResnetCache mid_cache[2];
  float* mid_y[2] = {nullptr, nullptr};    // (R, C_{n-1}, P_{n-1})
  AttentionCache attention;
  float* attention_y = nullptr;            // (R, C_{n-1}, P_{n-1}) (with attention)
  std::vector<float*> up_cat;              // [u (L+1) + j] (R, Cin + Cskip, P)
  std::vector<ResnetCache> up_cache;       // [u (L+1) + j]
  std::vector<float*> up_y;                // [u (L+1) + j]
  std::vector<float*> up_near;             // [u] (R, C, 4 P) nearest x2 of the last up resnet
  std::vector<float*> up_conv;             // [u] (R, C, 4 P)
  float* out_a = nullptr;                  // (R, C_0, P_0) SiLU(conv_norm_out(h))
  float* out_dact = nullptr;               // (training)
  float* out_mean = nullptr;               // (R, G)
  float* out_rstd = nullptr;
  float* scratch = nullptr;                // the blocks' and convolutions' scratch (the largest)
  // ---- backward (training) ----
  float* d_h[2] = {nullptr, nullptr};      // (R, max C P) the running gradient, alternating
  float* d_cat = nullptr;                  // (R, max (Cin + Cskip) P)
  std::vector<float*> d_skip;              // [k] a gradient per skip, its shape
  float* d_emb_act = nullptr;              // (R, E)
  float* d_t_a = nullptr;                  // (R, E)
  // ---- the skips, fixed once laid out (so a step builds no lists) ----
  std::vector<const float*> skips;         // [k] skip k in push order: h0, down_y, down_conv
  std::vector<UNetSkip> skip_shapes;       // [k] its channels and side

 private:
  // Points every buffer into the carver's arena (or only counts, with no arena).
  void layout(ArenaCarver& carve, const UNetConfig& config, std::size_t R, bool train);

  AlignedBuffer arena_;
  UNetConfig config_;
  std::size_t rows_ = 0;
  bool train_ = false;
  bool prepared_ = false;
};

}  // namespace diffuse
