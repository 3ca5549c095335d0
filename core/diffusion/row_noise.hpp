#pragma once
// Gaussian noise addressed by (seed, stream, row): the noise of an (n, D) buffer is the stream's
// sequence of normals read row-major, so row b holds values b * D .. b * D + D - 1 of the Philox
// stream (seed, stream) (value v is lane v % 4 of block v / 4; base/rng.hpp). A row's noise never
// depends on how many rows there are or how the work is split across executor tasks or browser
// slices, and a sampler or ELBO run can resume anywhere.
//
// Stream ids carry a purpose tag in their high 32 bits so that samplers, the ELBO and training
// (which uses small stream ids) never share numbers for one seed.
#include <cstddef>
#include <cstdint>

#include "base/executor.hpp"
#include "base/tensor.hpp"

namespace diffuse {

constexpr std::uint64_t stream_tag_sampler = 0x53414D50;     // "SAMP": x_T and each step's z
constexpr std::uint64_t stream_tag_elbo_noise = 0x454C424E;  // "ELBN": x_t ~ q(x_t | x_0) per t
constexpr std::uint64_t stream_tag_elbo_steps = 0x454C4254;  // "ELBT": the t drawn per stratum

constexpr std::uint64_t noise_stream(std::uint64_t tag, std::uint64_t index) {
  return (tag << 32) | (index & 0xFFFFFFFFull);
}

// out (count,): values first_value .. first_value + count - 1 of the stream's normals.
void stream_normals(float* out, std::uint64_t seed, std::uint64_t stream,
                    std::uint64_t first_value, std::size_t count);

// out (D,): the noise of row `row` (values row * D ..).
void row_noise_fill(float* out, std::size_t D, std::uint64_t seed, std::uint64_t stream,
                    std::size_t row);

// out (n, D), already shaped: row b gets the noise of row first_row + b; blocks of rows are split
// over the executor's tasks.
void row_noise_fill_rows(Tensor2& out, std::uint64_t seed, std::uint64_t stream,
                         std::size_t first_row, const Executor& executor);

}  // namespace diffuse
