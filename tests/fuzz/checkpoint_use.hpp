#pragma once
// What the CLI does with a checkpoint it has read (`info`, `sample`, `train --resume`, `export`),
// on a small model: a loaded checkpoint must be usable without any error but diffuse::Error, and
// written again it must read back.
#include <sstream>

#include "base/executor.hpp"
#include "fuzz_support.hpp"
#include "io/checkpoint.hpp"

namespace diffuse::fuzz {

inline void checkpoint_use(const Checkpoint& c) {
  const std::size_t D = model_sample_size(c.model);
  if (D <= 4096) {  // a bigger model is valid, just slow for a fuzzer
    accepts([&] {
      const auto denoiser = checkpoint_denoiser(c);
      Tensor2 x = Tensor2::from_shape({2, D}), out;
      x.fill(0.5f);
      denoiser->predict_at(out, x, 0, serial_executor());
      denoiser->predict_at(out, x, static_cast<int>(c.schedule.timesteps) - 1, serial_executor());
    });
  }
  if (c.training && D <= 64 && c.train.batch <= 256) {
    accepts([&] { (void)checkpoint_denoiser(c, false); });
    accepts([&] { (void)checkpoint_training_data(c); });
    accepts([&] { checkpoint_resume(c)->step(serial_executor()); });
  }
  for (const Checkpoint& written : {c, checkpoint_export(c)}) {
    std::ostringstream out;
    require(accepts([&] { checkpoint_write(out, written); }), "a checkpoint read can be written");
    const std::string bytes = out.str();
    require(accepts([&] {
              (void)checkpoint_read(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                    bytes.size(), "rewritten");
            }),
            "a checkpoint written from one read reads back");
  }
}

}  // namespace diffuse::fuzz
