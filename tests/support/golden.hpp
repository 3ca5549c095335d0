#pragma once
// Reads tests/reference/rng_golden.json: the first draws of a few (seed, stream) pairs, shared by
// the native and the WebAssembly tests so that both builds must agree bit for bit.
#include <cstdint>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace diffuse::test {

struct RngGolden {
  std::uint64_t seed;
  std::uint64_t stream;
  std::vector<std::uint32_t> u32;
  std::vector<float> uniform;
  std::vector<float> normal;
};

inline std::vector<float> floats_from_bits(const std::vector<std::uint32_t>& bits) {
  std::vector<float> out(bits.size());
  std::memcpy(out.data(), bits.data(), bits.size() * sizeof(float));
  return out;
}

inline std::vector<RngGolden> load_rng_golden() {
  const std::string path = std::string(DIFFUSE_SOURCE_DIR) + "/tests/reference/rng_golden.json";
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  const auto json = nlohmann::json::parse(in);
  std::vector<RngGolden> out;
  for (const auto& g : json.at("cases")) {
    RngGolden item;
    item.seed = std::stoull(g.at("seed").get<std::string>());
    item.stream = std::stoull(g.at("stream").get<std::string>());
    item.u32 = g.at("u32").get<std::vector<std::uint32_t>>();
    item.uniform = floats_from_bits(g.at("uniform_bits").get<std::vector<std::uint32_t>>());
    item.normal = floats_from_bits(g.at("normal_bits").get<std::vector<std::uint32_t>>());
    out.push_back(std::move(item));
  }
  return out;
}

}  // namespace diffuse::test
