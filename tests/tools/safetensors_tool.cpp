// A helper for tests/cli/test_safetensors_torch.py: our safetensors writer and reader on files, so
// that an independent Python implementation can read what we write and write what we read.
//   safetensors_tool write OUT   the example file (the formulas below, mirrored in the script)
//   safetensors_tool dump IN     {"metadata": {...}, "tensors": [{"name", "dtype", "shape",
//                                 "bits": [float32 bit patterns]}]} on stdout
// Errors go to stderr with exit code 1.
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "io/safetensors.hpp"

using namespace diffuse;

namespace {

void write_example(const std::string& path) {
  std::vector<float> weight(12), bias = {0.1f, -0.2f, 1e-30f};
  for (std::size_t i = 0; i < weight.size(); ++i) weight[i] = static_cast<float>(i) * 0.25f - 1.0f;
  const float scalar = 3.14159f;
  std::ofstream out(path, std::ios::binary);
  // Sorted by name (all F32), as the reference implementation orders them.
  safetensors_write(out,
                    {{"layers.0.bias", {3}, bias.data()},
                     {"layers.0.weight", {3, 4}, weight.data()},
                     {"scalar", {}, &scalar}},
                    {{"format", "pt"}, {"note", "written by diffuse"}});
  if (!out) fail("cannot write ", path);
}

void dump(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot open ", path);
  const Safetensors st = safetensors_read(in, std::uint64_t{1} << 30, path);
  nlohmann::ordered_json out;
  out["metadata"] = st.metadata;
  out["tensors"] = nlohmann::ordered_json::array();
  for (const auto& t : st.tensors) {
    std::vector<std::uint32_t> bits(t.values.size());
    if (!bits.empty()) std::memcpy(bits.data(), t.values.data(), 4 * bits.size());
    out["tensors"].push_back(
        {{"name", t.name}, {"dtype", t.dtype}, {"shape", t.shape}, {"bits", bits}});
  }
  std::cout << out.dump() << '\n';
}

}  // namespace

int main(int argc, char** argv) {
  const std::string usage = "usage: safetensors_tool write OUT | dump IN";
  if (argc != 3) {
    std::cerr << usage << '\n';
    return 2;
  }
  try {
    const std::string command = argv[1];
    if (command == "write") {
      write_example(argv[2]);
    } else if (command == "dump") {
      dump(argv[2]);
    } else {
      std::cerr << usage << '\n';
      return 2;
    }
  } catch (const Error& e) {
    std::cerr << "error: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
