// transpose against its scalar twin, bit for bit (a copy), on every tail length in both
// dimensions and with padded row strides; the padding of dst is never written.
// The in-register block (transpose_block.hpp, shared with gemm's packing) and the twin
// transpose_ref.cpp.
#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

#include "base/rng.hpp"
#include "kernels/transpose.hpp"

using namespace diffuse;

TEST_CASE("transpose equals transpose_ref on every shape up to 40 x 40 with padded strides") {
  Rng rng(5);
  for (std::size_t rows = 1; rows <= 40; rows += 3) {
    for (std::size_t cols = 1; cols <= 40; cols += 1) {
      const std::size_t ld_src = cols + rows % 3, ld_dst = rows + cols % 2;
      std::vector<float> src(rows * ld_src);
      rng.fill_normal(src.data(), src.size());
      std::vector<float> got(cols * ld_dst, -7.0f), want(cols * ld_dst, -7.0f);
      kernels::transpose(got.data(), ld_dst, src.data(), ld_src, rows, cols);
      kernels::transpose_ref(want.data(), ld_dst, src.data(), ld_src, rows, cols);
      INFO("rows " << rows << " cols " << cols);
      CHECK(std::memcmp(got.data(), want.data(), got.size() * sizeof(float)) == 0);
      CHECK(want[0] == src[0]);
      if (rows > 1 && cols > 1) CHECK(want[1 * ld_dst + 0] == src[0 * ld_src + 1]);
    }
  }
}
