// The checkpoint loader (core/io/checkpoint_read.cpp over safetensors_read) on any bytes, read
// from a stream as the CLI reads a file: it loads or throws diffuse::Error, allocates only what
// the file's own tensors justify, and what it loads works (checkpoint_use.hpp). The same bytes
// also go to the quality classifier's reader (core/io/classifier_checkpoint.cpp).
#include <optional>
#include <sstream>

#include "checkpoint_use.hpp"
#include "fuzz_support.hpp"
#include "io/checkpoint.hpp"
#include "io/classifier_checkpoint.hpp"

using namespace diffuse;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::optional<Checkpoint> checkpoint;
  fuzz::accepts([&] {
    std::istringstream in(std::string(fuzz::as_text(data, size)));
    checkpoint = checkpoint_read(in, "fuzz.safetensors");
  });
  if (checkpoint) fuzz::checkpoint_use(*checkpoint);
  fuzz::accepts([&] {
    const ClassifierCheckpoint classifier =
        classifier_checkpoint_read(data, size, "fuzz classifier");
    (void)classifier_from_checkpoint(classifier);
  });
  return 0;
}
