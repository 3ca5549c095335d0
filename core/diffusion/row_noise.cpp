#include "diffusion/row_noise.hpp"

#include <algorithm>

#include "base/rng.hpp"
#include "diffusion/row_tasks.hpp"

namespace diffuse {

void stream_normals(float* out, std::uint64_t seed, std::uint64_t stream,
                    std::uint64_t first_value, std::size_t count) {
  Rng rng(seed, stream, first_value / 4);
  const auto skip = static_cast<std::size_t>(first_value % 4);
  if (skip > 0 && count > 0) {  // the tail of a block that starts before first_value
    float block[4];
    rng.fill_normal(block, 4);
    const std::size_t take = std::min(4 - skip, count);
    std::copy(block + skip, block + skip + take, out);
    out += take;
    count -= take;
  }
  rng.fill_normal(out, count);  // now block-aligned
}

void row_noise_fill(float* out, std::size_t D, std::uint64_t seed, std::uint64_t stream,
                    std::size_t row) {
  stream_normals(out, seed, stream, static_cast<std::uint64_t>(row) * D, D);
}

void row_noise_fill_rows(Tensor2& out, std::uint64_t seed, std::uint64_t stream,
                         std::size_t first_row, const Executor& executor) {
  const std::size_t D = out.shape(1);
  run_row_blocks(out.shape(0), executor, [&](std::size_t first, std::size_t end) {
    stream_normals(out.data() + first * D, seed, stream,
                   static_cast<std::uint64_t>(first_row + first) * D, (end - first) * D);
  });
}

}  // namespace diffuse
