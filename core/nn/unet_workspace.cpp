#include "nn/unet_workspace.hpp"

#include <algorithm>

#include "base/arena.hpp"
#include "nn/conv2d.hpp"

namespace diffuse {
namespace {

// The resnets of the network in forward order with their shapes (R rows).
struct Block {
  std::size_t in, out, size;
};

std::vector<Block> down_resnets(const UNetConfig& c) {
  std::vector<Block> out;
  for (std::size_t i = 0; i < c.levels(); ++i) {
    const std::size_t size = c.sample_size >> i;
    for (std::size_t j = 0; j < c.layers_per_block; ++j) {
      const std::size_t in = j == 0 ? c.block_out_channels[i == 0 ? 0 : i - 1] : c.block_out_channels[i];
      out.push_back({in, c.block_out_channels[i], size});
    }
  }
  return out;
}

// Up resnet (u, j): Cin = the running channels + the skip's.
std::vector<Block> up_resnets(const UNetConfig& c) {
  const std::size_t n = c.levels();
  const std::vector<UNetSkip> skips = unet_skips(c);
  std::vector<Block> out;
  std::size_t k = skips.size();
  for (std::size_t u = 0; u < n; ++u) {
    const std::size_t level = n - 1 - u, size = c.sample_size >> level;
    const std::size_t channels = c.block_out_channels[level];
    for (std::size_t j = 0; j <= c.layers_per_block; ++j) {
      const std::size_t running = j == 0 ? c.block_out_channels[u == 0 ? n - 1 : n - u] : channels;
      out.push_back({running + skips[--k].channels, channels, size});
    }
  }
  return out;
}

ResnetShape shape_of(const UNetConfig& c, const Block& b, std::size_t R) {
  return {R, b.in, b.out, b.size, c.norm_num_groups, c.time_embed_dim(), unet_norm_eps};
}

ResnetCache carve_cache(ArenaCarver& carve, const ResnetShape& s, bool train) {
  const std::size_t B = s.batch, P = s.pixels(), G = s.groups;
  ResnetCache c;
  c.a1 = carve.take(B * s.in_channels * P);
  c.dact1 = train ? carve.take(B * s.in_channels * P) : nullptr;
  c.mean1 = carve.take(B * G);
  c.rstd1 = carve.take(B * G);
  c.h1 = carve.take(B * s.out_channels * P);
  c.temb = carve.take(B * s.out_channels);
  c.a2 = carve.take(B * s.out_channels * P);
  c.dact2 = train ? carve.take(B * s.out_channels * P) : nullptr;
  c.mean2 = carve.take(B * G);
  c.rstd2 = carve.take(B * G);
  return c;
}

// The largest scratch any block or convolution needs.
std::size_t scratch_floats(const UNetConfig& c, std::size_t R) {
  std::size_t n = 0;
  for (const Block& b : down_resnets(c)) n = std::max(n, resnet_scratch_floats(shape_of(c, b, R)));
  for (const Block& b : up_resnets(c)) n = std::max(n, resnet_scratch_floats(shape_of(c, b, R)));
  const std::size_t top = c.block_out_channels.back(), side = c.sample_size >> (c.levels() - 1);
  n = std::max(n, resnet_scratch_floats(shape_of(c, {top, top, side}, R)));
  if (c.add_attention) {
    n = std::max(n, attention_scratch_floats({R, top, side * side, c.norm_num_groups, unet_norm_eps, 1.0f}));
  }
  const std::size_t C0 = c.block_out_channels.front(), S = c.sample_size;
  n = std::max(n, conv2d_scratch_floats(conv2d_3x3(R, c.in_channels, C0, S, S)));
  n = std::max(n, conv2d_scratch_floats(conv2d_3x3(R, C0, unet_out_channels(c), S, S)));
  for (std::size_t i = 0; i + 1 < c.levels(); ++i) {
    const std::size_t Ci = c.block_out_channels[i];
    n = std::max(n, conv2d_scratch_floats(conv2d_3x3_stride2(R, Ci, Ci, S >> i, S >> i)));
  }
  for (std::size_t u = 0; u + 1 < c.levels(); ++u) {
    const std::size_t level = c.levels() - 1 - u, Cu = c.block_out_channels[level];
    const std::size_t side2 = (S >> level) * 2;
    n = std::max(n, conv2d_scratch_floats(conv2d_3x3(R, Cu, Cu, side2, side2)));
  }
  return n;
}

}  // namespace

std::vector<UNetSkip> unet_skips(const UNetConfig& c) {
  std::vector<UNetSkip> out{{c.block_out_channels.front(), c.sample_size}};
  for (std::size_t i = 0; i < c.levels(); ++i) {
    const std::size_t size = c.sample_size >> i;
    for (std::size_t j = 0; j < c.layers_per_block; ++j) out.push_back({c.block_out_channels[i], size});
    if (i + 1 < c.levels()) out.push_back({c.block_out_channels[i], size / 2});
  }
  return out;
}

std::size_t UNetWorkspace::floats(const UNetConfig& c, std::size_t R, bool train) {
  UNetWorkspace probe;
  ArenaCarver count(nullptr);
  probe.layout(count, c, R, train);
  return count.used();
}

void UNetWorkspace::prepare(const UNetConfig& c, std::size_t R, bool train) {
  if (prepared_ && R == rows_ && train == train_ && c == config_) return;
  ArenaCarver count(nullptr);
  layout(count, c, R, train);
  // Never shrinks: a smaller chunk (the batch's last) reuses the arena without allocating.
  if (count.used() > arena_.size()) arena_.resize(count.used());
  ArenaCarver carve(arena_.data());
  layout(carve, c, R, train);
  config_ = c;
  rows_ = R;
  train_ = train;
  prepared_ = true;
}

void UNetWorkspace::layout(ArenaCarver& carve, const UNetConfig& c, std::size_t R, bool train) {
  const std::size_t n = c.levels(), C0 = c.block_out_channels.front();
  const std::size_t E = c.time_embed_dim(), S = c.sample_size, G = c.norm_num_groups;
  const std::size_t top = c.block_out_channels.back(), side = S >> (n - 1);
  const std::vector<Block> downs = down_resnets(c), ups = up_resnets(c);
  const std::vector<UNetSkip> skips_of = unet_skips(c);
  std::size_t largest = 0, largest_cat = 0;  // (C P) of any tensor, of any concatenation
  for (const Block& b : downs) largest = std::max({largest, b.in * b.size * b.size, b.out * b.size * b.size});
  for (const Block& b : ups) {
    largest = std::max(largest, b.out * b.size * b.size);
    largest_cat = std::max(largest_cat, b.in * b.size * b.size);
  }
  largest = std::max({largest, largest_cat, C0 * S * S});
  {
    t_sin = carve.take(R * C0);
    t_a = carve.take(R * E);
    t_dact = train ? carve.take(R * E) : nullptr;
    emb = carve.take(R * E);
    emb_act = carve.take(R * E);
    emb_dact = train ? carve.take(R * E) : nullptr;
    input = train ? carve.take(R * c.in_channels * S * S) : nullptr;
    h0 = carve.take(R * C0 * S * S);
    // Inference shares one cache (the largest block's) between all resnets.
    ResnetCache shared{};
    if (!train) {
      std::size_t in = 0, out = 0, size = 0;
      for (const std::vector<Block>* list : {&downs, &ups}) {
        for (const Block& b : *list) {
          in = std::max(in, b.in * b.size * b.size);
          out = std::max(out, b.out * b.size * b.size);
          size = std::max(size, b.out);
        }
      }
      in = std::max(in, top * side * side);
      out = std::max(out, top * side * side);
      size = std::max(size, top);
      // (a "block" of in/out pixel-channels, R rows; mean/rstd per group)
      shared.a1 = carve.take(R * in);
      shared.mean1 = carve.take(R * G);
      shared.rstd1 = carve.take(R * G);
      shared.h1 = carve.take(R * out);
      shared.temb = carve.take(R * size);
      shared.a2 = carve.take(R * out);
      shared.mean2 = carve.take(R * G);
      shared.rstd2 = carve.take(R * G);
    }
    const auto cache_for = [&](const Block& b) {
      return train ? carve_cache(carve, shape_of(c, b, R), true) : shared;
    };
    down_cache.clear();
    down_y.clear();
    for (const Block& b : downs) {
      down_cache.push_back(cache_for(b));
      down_y.push_back(carve.take(R * b.out * b.size * b.size));
    }
    down_conv.clear();
    for (std::size_t i = 0; i + 1 < n; ++i) {
      const std::size_t half = (S >> i) / 2;
      down_conv.push_back(carve.take(R * c.block_out_channels[i] * half * half));
    }
    for (int m = 0; m < 2; ++m) {
      mid_cache[m] = cache_for({top, top, side});
      mid_y[m] = carve.take(R * top * side * side);
    }
    attention = {};
    attention_y = nullptr;
    if (c.add_attention) {
      const std::size_t T = side * side;
      attention.norm_mean = carve.take(R * G);
      attention.norm_rstd = carve.take(R * G);
      attention.tokens = carve.take(R * T * top);
      attention.q = carve.take(R * T * top);
      attention.k = carve.take(R * T * top);
      attention.v = carve.take(R * T * top);
      attention.probs = carve.take(R * T * T);
      attention.o = carve.take(R * T * top);
      attention_y = carve.take(R * top * T);
    }
    up_cat.clear();
    up_cache.clear();
    up_y.clear();
    float* shared_cat = train ? nullptr : carve.take(R * largest_cat);
    for (const Block& b : ups) {
      up_cat.push_back(train ? carve.take(R * b.in * b.size * b.size) : shared_cat);
      up_cache.push_back(cache_for(b));
      up_y.push_back(carve.take(R * b.out * b.size * b.size));
    }
    up_near.clear();
    up_conv.clear();
    for (std::size_t u = 0; u + 1 < n; ++u) {
      const std::size_t level = n - 1 - u, Cu = c.block_out_channels[level];
      const std::size_t side2 = (S >> level) * 2;
      up_near.push_back(carve.take(R * Cu * side2 * side2));
      up_conv.push_back(carve.take(R * Cu * side2 * side2));
    }
    out_a = carve.take(R * C0 * S * S);
    out_dact = train ? carve.take(R * C0 * S * S) : nullptr;
    out_mean = carve.take(R * G);
    out_rstd = carve.take(R * G);
    scratch = carve.take(scratch_floats(c, R));
    d_h[0] = train ? carve.take(R * largest) : nullptr;
    d_h[1] = train ? carve.take(R * largest) : nullptr;
    d_cat = train ? carve.take(R * largest_cat) : nullptr;
    d_skip.clear();
    for (const UNetSkip& k : skips_of) d_skip.push_back(train ? carve.take(R * k.channels * k.size * k.size) : nullptr);
    skips.clear();
    skips.push_back(h0);
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t L = c.layers_per_block;
      for (std::size_t j = 0; j < L; ++j) skips.push_back(down_y[i * L + j]);
      if (i + 1 < n) skips.push_back(down_conv[i]);
    }
    skip_shapes = skips_of;
    d_emb_act = train ? carve.take(R * E) : nullptr;
    d_t_a = train ? carve.take(R * E) : nullptr;
  }
}

}  // namespace diffuse
