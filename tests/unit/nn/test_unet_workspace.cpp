// UNetWorkspace (nn/unet_workspace.hpp): the arena is sized once per batch size, so a second
// forward/backward at the same batch size touches the heap zero times (counted as in
// test_mlp_steady_state.cpp); a larger batch grows the arena, a smaller one reuses it; and every
// named training buffer gets at least the size its shape comment documents, inside the arena,
// without overlapping any other.
#include <catch2/catch.hpp>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/rng.hpp"
#include "nn/unet.hpp"
#include "nn/unet_workspace.hpp"
#include "support/allocation_counter.hpp"

using namespace diffuse;

namespace {

// Every optional part present: attention, classes, two levels (a down- and an upsampler) and
// widths that change between levels (shortcuts in the down path).
UNetConfig small_config() {
  UNetConfig c;
  c.block_out_channels = {8, 16};
  c.layers_per_block = 1;
  c.norm_num_groups = 4;
  c.sample_size = 8;
  c.add_attention = true;
  c.classes = 3;
  return c;
}

struct Batch {
  Tensor2 x, d_out, out;
  Steps t;
  Labels labels;
  Batch(const UNet& net, std::size_t B, std::uint64_t seed) {
    Rng rng(seed);
    x = Tensor2::from_shape({B, net.sample_size()});
    d_out = Tensor2::from_shape({B, net.sample_size()});
    t = Steps::from_shape({B});
    labels = Labels::from_shape({B});
    rng.fill_normal(x.data(), x.size());
    rng.fill_normal(d_out.data(), d_out.size());
    rng.fill_below(t.data(), B, 1000);
    rng.fill_below(labels.data(), B, static_cast<std::uint32_t>(net.classes() + 1));
  }
};

// One training step's network work and one inference forward.
void round_trip(UNet& net, Batch& b) {
  net.zero_grad();
  net.forward_train(b.out, b.x, b.t, &b.labels, serial_executor());
  net.backward(b.d_out, serial_executor());
  net.forward(b.out, b.x, b.t, &b.labels, serial_executor());
}

// A buffer and the floats its shape comment in unet_workspace.hpp promises.
struct Span {
  std::string name;
  const float* p;
  std::size_t n;
};

// The training buffers with their documented sizes; shapes follow docs/diffusers-unet.md.
std::vector<Span> documented_buffers(const UNetWorkspace& ws, const UNetConfig& c, std::size_t R) {
  const std::vector<std::size_t>& C = c.block_out_channels;
  const std::size_t n = C.size(), N = c.layers_per_block, S = c.sample_size, G = c.norm_num_groups;
  const std::size_t E = 4 * C[0], top = C[n - 1], side = S >> (n - 1), T = side * side;
  std::vector<Span> out;
  const auto add = [&](const std::string& name, const float* p, std::size_t floats) {
    out.push_back({name, p, floats});
  };
  const auto add_cache = [&](const std::string& name, const ResnetCache& k, std::size_t in,
                             std::size_t o, std::size_t P) {
    add(name + ".a1", k.a1, R * in * P);
    add(name + ".dact1", k.dact1, R * in * P);
    add(name + ".mean1", k.mean1, R * G);
    add(name + ".rstd1", k.rstd1, R * G);
    add(name + ".h1", k.h1, R * o * P);
    add(name + ".temb", k.temb, R * o);
    add(name + ".a2", k.a2, R * o * P);
    add(name + ".dact2", k.dact2, R * o * P);
    add(name + ".mean2", k.mean2, R * G);
    add(name + ".rstd2", k.rstd2, R * G);
  };
  add("t_sin", ws.t_sin, R * C[0]);
  for (const auto& [name, p] : {std::pair<const char*, float*>{"t_a", ws.t_a},
                                {"t_dact", ws.t_dact},
                                {"emb", ws.emb},
                                {"emb_act", ws.emb_act},
                                {"emb_dact", ws.emb_dact},
                                {"d_emb_act", ws.d_emb_act},
                                {"d_t_a", ws.d_t_a}}) {
    add(name, p, R * E);
  }
  add("input", ws.input, R * c.in_channels * S * S);
  add("h0", ws.h0, R * C[0] * S * S);
  // The skips in push order (docs section 6), for d_skip and the up blocks' widths.
  std::vector<std::pair<std::size_t, std::size_t>> skips{{C[0], S}};
  std::size_t largest = C[0] * S * S, largest_cat = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t P = (S >> i) * (S >> i);
    for (std::size_t j = 0; j < N; ++j) {
      const std::size_t in = j == 0 ? C[i == 0 ? 0 : i - 1] : C[i], k = i * N + j;
      add_cache("down " + std::to_string(k), ws.down_cache[k], in, C[i], P);
      add("down_y " + std::to_string(k), ws.down_y[k], R * C[i] * P);
      largest = std::max({largest, in * P, C[i] * P});
      skips.push_back({C[i], S >> i});
    }
    if (i + 1 < n) {
      add("down_conv " + std::to_string(i), ws.down_conv[i], R * C[i] * P / 4);
      skips.push_back({C[i], (S >> i) / 2});
    }
  }
  for (int m = 0; m < 2; ++m) {
    add_cache("mid " + std::to_string(m), ws.mid_cache[m], top, top, T);
    add("mid_y " + std::to_string(m), ws.mid_y[m], R * top * T);
  }
  if (c.add_attention) {
    const AttentionCache& a = ws.attention;
    add("attention.norm_mean", a.norm_mean, R * G);
    add("attention.norm_rstd", a.norm_rstd, R * G);
    for (const auto& [name, p] : {std::pair<const char*, float*>{"tokens", a.tokens},
                                  {"q", a.q},
                                  {"k", a.k},
                                  {"v", a.v},
                                  {"o", a.o}}) {
      add(std::string("attention.") + name, p, R * T * top);
    }
    add("attention.probs", a.probs, R * T * T);
    add("attention_y", ws.attention_y, R * top * T);
  }
  for (std::size_t u = 0; u < n; ++u) {
    const std::size_t cu = C[n - 1 - u], P = (S >> (n - 1 - u)) * (S >> (n - 1 - u));
    for (std::size_t j = 0; j <= N; ++j) {
      const std::size_t h = j > 0 ? cu : (u == 0 ? C[n - 1] : C[n - u]);
      const std::size_t k = u * (N + 1) + j, in = h + skips[skips.size() - 1 - k].first;
      add("up_cat " + std::to_string(k), ws.up_cat[k], R * in * P);
      add_cache("up " + std::to_string(k), ws.up_cache[k], in, cu, P);
      add("up_y " + std::to_string(k), ws.up_y[k], R * cu * P);
      largest = std::max(largest, cu * P);
      largest_cat = std::max(largest_cat, in * P);
    }
    if (u + 1 < n) {
      add("up_near " + std::to_string(u), ws.up_near[u], R * cu * 4 * P);
      add("up_conv " + std::to_string(u), ws.up_conv[u], R * cu * 4 * P);
    }
  }
  add("out_a", ws.out_a, R * C[0] * S * S);
  add("out_dact", ws.out_dact, R * C[0] * S * S);
  add("out_mean", ws.out_mean, R * G);
  add("out_rstd", ws.out_rstd, R * G);
  add("scratch", ws.scratch, 1);  // its size is the blocks' own business
  add("d_h 0", ws.d_h[0], R * std::max(largest, largest_cat));
  add("d_h 1", ws.d_h[1], R * std::max(largest, largest_cat));
  add("d_cat", ws.d_cat, R * largest_cat);
  for (std::size_t k = 0; k < skips.size(); ++k) {
    add("d_skip " + std::to_string(k), ws.d_skip[k],
        R * skips[k].first * skips[k].second * skips[k].second);
  }
  return out;
}

}  // namespace

TEST_CASE("the workspace sizes once per batch size: a repeat prepare allocates nothing") {
  const UNetConfig c = small_config();
  for (const bool train : {true, false}) {
    INFO((train ? "training" : "inference"));
    UNetWorkspace ws;
    ws.prepare(c, 4, train);
    CHECK(ws.rows() == 4);
    CHECK(ws.training() == train);
    const float* first = ws.t_sin;
    const long before = allocations;
    ws.prepare(c, 4, train);
    CHECK(allocations - before == 0);
    CHECK(ws.t_sin == first);
  }
  // Inference keeps no derivatives, no backward buffers and shares caches: a smaller arena.
  CHECK(UNetWorkspace::floats(c, 4, false) < UNetWorkspace::floats(c, 4, true));
}

TEST_CASE("a larger batch grows the arena, a smaller one reuses it") {
  const UNetConfig c = small_config();
  UNetWorkspace ws;
  ws.prepare(c, 4, true);
  const float* base = ws.t_sin;  // the first buffer carved: the arena's start
  const std::size_t bytes_for_2 = UNetWorkspace::floats(c, 2, true) * sizeof(float);
  largest_allocation = 0;
  ws.prepare(c, 2, true);
  CHECK(ws.rows() == 2);
  CHECK(ws.t_sin == base);                  // the same arena
  CHECK(largest_allocation < bytes_for_2);  // and no allocation that could hold a new one
  const std::size_t bytes_for_8 = UNetWorkspace::floats(c, 8, true) * sizeof(float);
  largest_allocation = 0;
  ws.prepare(c, 8, true);
  CHECK(ws.rows() == 8);
  CHECK(largest_allocation >= bytes_for_8);  // grown
  const float* grown = ws.t_sin;
  largest_allocation = 0;
  ws.prepare(c, 4, true);  // back down: reuses the grown arena
  CHECK(ws.t_sin == grown);
  CHECK(largest_allocation < UNetWorkspace::floats(c, 4, true) * sizeof(float));
}

TEST_CASE("every training buffer has its documented size, inside the arena, overlapping none") {
  for (const std::size_t R : {1, 3}) {
    for (UNetConfig c : {small_config(), UNetConfig{}}) {
      c.layers_per_block = R == 1 ? 2 : 1;
      INFO("R = " << R << ", " << unet_config_to_json(c).dump());
      UNetWorkspace ws;
      ws.prepare(c, R, true);
      std::vector<Span> spans = documented_buffers(ws, c, R);
      const float* base = ws.t_sin;
      const float* end = base + UNetWorkspace::floats(c, R, true);
      for (const Span& s : spans) {
        INFO(s.name);
        REQUIRE(s.p != nullptr);
        CHECK(s.p >= base);
        CHECK(s.p + s.n <= end);
      }
      std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) { return a.p < b.p; });
      for (std::size_t i = 0; i + 1 < spans.size(); ++i) {
        INFO(spans[i].name << " and " << spans[i + 1].name);
        CHECK(spans[i].p + spans[i].n <= spans[i + 1].p);
      }
    }
  }
}

TEST_CASE("a second U-Net forward/backward at the same batch size allocates nothing") {
  UNet net(small_config());
  Rng rng(3);
  net.init_params(rng);
  Batch b(net, 5, 4);
  round_trip(net, b);  // sizes both workspaces and gemm's per-thread packing buffers
  const long before = allocations;
  round_trip(net, b);
  round_trip(net, b);
  CHECK(allocations - before == 0);

  // A smaller batch reuses both arenas: nothing as large as either is allocated.
  Batch small(net, 2, 5);
  largest_allocation = 0;
  round_trip(net, small);
  CHECK(largest_allocation < UNetWorkspace::floats(net.config(), 2, false) * sizeof(float));
  // A larger one grows the training arena.
  Batch large(net, 9, 6);
  largest_allocation = 0;
  round_trip(net, large);
  CHECK(largest_allocation >= UNetWorkspace::floats(net.config(), 9, true) * sizeof(float));
}
