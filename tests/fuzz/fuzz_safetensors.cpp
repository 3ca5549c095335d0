// The safetensors reader (core/io/safetensors_read.cpp) on any bytes, from memory and from a
// stream: it loads or throws diffuse::Error, and never reads outside the input.
#include <memory>
#include <sstream>

#include "fuzz_support.hpp"
#include "io/safetensors.hpp"

using namespace diffuse;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::accepts([&] {
    const Safetensors file = safetensors_read(data, size, "fuzz.safetensors");
    for (const SafetensorsTensor& t : file.tensors) (void)file.find(t.name);
  });
  fuzz::accepts([&] {
    std::istringstream in(std::string(fuzz::as_text(data, size)));
    (void)safetensors_read(in, 1 << 20, "fuzz stream");
  });
  return 0;
}
