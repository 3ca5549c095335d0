#include "support/checkpoint_file.hpp"

#include <cstdint>

#include "base/error.hpp"
#include "support/arguments.hpp"
#include "support/atomic_file.hpp"

namespace diffuse::cli {

Checkpoint checkpoint_load(const std::string& flag, const std::string& path) {
  const std::string bytes = read_input_file(flag, path);
  try {
    return checkpoint_read(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(), path);
  } catch (const Error& e) {
    fail(flag, ": ", e.what());
  }
}

void checkpoint_save(const std::string& path, const Checkpoint& checkpoint) {
  atomic_write_file(path, [&](std::ostream& out) { checkpoint_write(out, checkpoint); });
}

}  // namespace diffuse::cli
