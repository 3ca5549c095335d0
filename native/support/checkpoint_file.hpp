#pragma once
// Checkpoint files (core/io/checkpoint.hpp) on disk: reading with errors that name the flag and
// the file, writing atomically (support/atomic_file.hpp), so that an interrupted or failed write
// never leaves a truncated checkpoint where a good one was.
#include <string>

#include "io/checkpoint.hpp"

namespace diffuse::cli {

// Reads and validates; any problem (missing, unreadable, not safetensors, another program's
// safetensors file, a bad configuration) throws Error "FLAG: PATH: problem".
Checkpoint checkpoint_load(const std::string& flag, const std::string& path);

void checkpoint_save(const std::string& path, const Checkpoint& checkpoint);

}  // namespace diffuse::cli
