// safetensors_read on hostile input: every truncation of a valid file, and tens of thousands of
// random mutations of it. Each must load or throw diffuse::Error; anything else (another
// exception, a crash, an out-of-bounds read under the asan preset) fails. Run under
// `ctest --preset asan` too, where AddressSanitizer checks every byte the reader touches.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <memory>
#include <sstream>
#include <vector>

#include "base/error.hpp"
#include "base/rng.hpp"
#include "io/safetensors.hpp"

using namespace diffuse;

namespace {

// A small valid file with metadata and tensors of three shapes, including an empty one.
std::vector<std::uint8_t> valid_file() {
  static const std::vector<float> w = {1, -2, 3.5f, 4, 5, 6}, b = {0.25f, -0.5f};
  std::ostringstream out;
  safetensors_write(out,
                    {{"layers.0.weight", {2, 3}, w.data()},
                     {"layers.0.bias", {2}, b.data()},
                     {"none", {0}, nullptr}},
                    {{"format", "pt"}, {"step", "10"}});
  const std::string s = out.str();
  return {s.begin(), s.end()};
}

enum class Outcome { loaded, rejected };

// Loads a copy of exactly `size` bytes in its own heap block, so that ASan flags any read past it.
Outcome load(const std::vector<std::uint8_t>& bytes, std::size_t size) {
  const std::unique_ptr<std::uint8_t[]> copy(new std::uint8_t[size > 0 ? size : 1]);
  if (size > 0) std::memcpy(copy.get(), bytes.data(), size);
  try {
    const Safetensors st = safetensors_read(copy.get(), size);
    // A loaded file is consistent: each tensor has product(shape) values, and no more values
    // than bytes could hold (>= 2 bytes per value).
    std::size_t values = 0;
    for (const auto& t : st.tensors) {
      std::size_t product = 1;
      for (std::size_t e : t.shape) product *= e;
      REQUIRE(t.values.size() == product);
      values += t.values.size();
    }
    REQUIRE(2 * values <= size);
    return Outcome::loaded;
  } catch (const Error&) {
    return Outcome::rejected;
  }
}

// One random edit: flip a bit, set a byte to a JSON-significant character, delete, insert or
// duplicate bytes, or rewrite the header length (near its value or anywhere).
void mutate(std::vector<std::uint8_t>& bytes, Rng& rng, std::size_t header_end) {
  static const char interesting[] = "{}[]\",:0123456789-.eE \\ntfu\x00\xff\x80";
  const auto position = [&](bool in_header) {
    const std::size_t limit = in_header ? std::min(header_end, bytes.size()) : bytes.size();
    return limit == 0 ? 0 : rng.below(static_cast<std::uint32_t>(limit));
  };
  const bool header = rng.below(10) < 8;  // mostly the JSON, where the parsing is
  switch (rng.below(7)) {
    case 0:
      if (!bytes.empty()) bytes[position(header)] ^= static_cast<std::uint8_t>(1u << rng.below(8));
      break;
    case 1:
      if (!bytes.empty()) {
        bytes[position(header)] =
            static_cast<std::uint8_t>(interesting[rng.below(sizeof interesting - 1)]);
      }
      break;
    case 2:
      if (!bytes.empty()) bytes.erase(bytes.begin() + position(header));
      break;
    case 3:
      bytes.insert(bytes.begin() + position(header),
                   static_cast<std::uint8_t>(interesting[rng.below(sizeof interesting - 1)]));
      break;
    case 4: {
      const std::size_t at = position(header),
                        length = std::min<std::size_t>(rng.below(12), bytes.size() - at);
      const std::vector<std::uint8_t> piece(bytes.begin() + at, bytes.begin() + at + length);
      bytes.insert(bytes.begin() + position(header), piece.begin(), piece.end());
      break;
    }
    case 5:
    case 6: {
      if (bytes.size() < 8) break;
      std::uint64_t n = 0;
      for (int i = 0; i < 8; ++i) n |= std::uint64_t{bytes[i]} << (8 * i);
      if (rng.below(2) == 0) {
        n += static_cast<std::uint64_t>(rng.below(33)) - 16;
      } else {
        n = (std::uint64_t{rng.below(0x7fffffff)} << 33) ^ rng.below(0x7fffffff);
      }
      for (int i = 0; i < 8; ++i) bytes[i] = static_cast<std::uint8_t>(n >> (8 * i));
      break;
    }
  }
}

}  // namespace

TEST_CASE("safetensors_read rejects every truncation of a valid file and loads the whole") {
  const std::vector<std::uint8_t> bytes = valid_file();
  CHECK(load(bytes, bytes.size()) == Outcome::loaded);
  for (std::size_t size = 0; size < bytes.size(); ++size) {
    INFO("truncated to " << size << " of " << bytes.size() << " bytes");
    CHECK(load(bytes, size) == Outcome::rejected);
  }
  std::vector<std::uint8_t> longer = bytes;
  longer.push_back(0);
  CHECK(load(longer, longer.size()) == Outcome::rejected);
}

TEST_CASE("safetensors_read loads or throws Error on 30,000 randomly mutated files") {
  const std::vector<std::uint8_t> original = valid_file();
  std::uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= std::uint64_t{original[i]} << (8 * i);
  const std::size_t header_end = 8 + static_cast<std::size_t>(n);
  Rng rng(2024);
  std::size_t loaded = 0, rejected = 0;
  for (int iteration = 0; iteration < 30000; ++iteration) {
    std::vector<std::uint8_t> bytes = original;
    const std::uint32_t edits = 1 + rng.below(4);
    for (std::uint32_t e = 0; e < edits; ++e) mutate(bytes, rng, header_end);
    INFO("iteration " << iteration);
    (load(bytes, bytes.size()) == Outcome::loaded ? loaded : rejected) += 1;
  }
  // Both outcomes occur (mutations inside the data, or of insignificant header bytes, still load):
  // the loop exercised the reader's accepting and rejecting paths alike.
  CHECK(loaded > 100);
  CHECK(rejected > 10000);
}
