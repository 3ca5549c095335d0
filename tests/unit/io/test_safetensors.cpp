// safetensors: the round trip, the reference implementation's own byte layouts reproduced by hand,
// and one test per kind of invalid file, each checking that the message names the problem.
// Reader safetensors_read.cpp, writer safetensors_write.cpp.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>

#include "base/error.hpp"
#include "io/safetensors.hpp"

using namespace diffuse;

namespace {

std::string u64_le(std::uint64_t n) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return out;
}

std::string f32_le(std::initializer_list<float> values) {
  std::string out;
  for (float v : values) {
    std::uint32_t bits;
    std::memcpy(&bits, &v, 4);
    for (int i = 0; i < 4; ++i) out += static_cast<char>((bits >> (8 * i)) & 0xff);
  }
  return out;
}

// A file from a header (used as given, no padding) and a data section.
std::string file(const std::string& header, const std::string& data = "") {
  return u64_le(header.size()) + header + data;
}

Safetensors read(const std::string& bytes) {
  return safetensors_read(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(),
                          "model.safetensors");
}

std::string error_of(const std::string& bytes) {
  try {
    read(bytes);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

std::string written(const std::vector<SafetensorsTensorView>& tensors,
                    const SafetensorsMetadata& metadata = {}) {
  std::ostringstream out;
  safetensors_write(out, tensors, metadata);
  return out.str();
}

const std::string valid_entry = R"({"dtype":"F32","shape":[2],"data_offsets":[0,8]})";

}  // namespace

TEST_CASE("safetensors round trip: names, shapes, values bit for bit, metadata, order") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> w = {1.5f, -0.0f, 3e-40f, nan, 1e38f, -7.25f};
  const float scalar = 42.0f;
  const std::vector<SafetensorsTensorView> tensors = {{"layers.0.weight", {2, 3}, w.data()},
                                                      {"scalar", {}, &scalar},
                                                      {"empty", {0, 4}, nullptr},
                                                      {"b", {6}, w.data()}};
  const SafetensorsMetadata metadata = {{"config", R"({"hidden": 128})"}, {"format", "pt"}};
  const std::string bytes = written(tensors, metadata);
  CHECK((bytes.size() - 8 - 4 * 13) % 8 == 0);  // the header is padded to 8 bytes

  std::istringstream in(bytes);
  const Safetensors back = safetensors_read(in, bytes.size());
  CHECK(back.metadata == metadata);
  REQUIRE(back.tensors.size() == 4);
  for (std::size_t k = 0; k < 4; ++k) {
    INFO(tensors[k].name);
    const SafetensorsTensor& t = back.tensors[k];
    CHECK(t.name == tensors[k].name);
    CHECK(t.shape == tensors[k].shape);
    CHECK(t.dtype == "F32");
    REQUIRE(t.values.size() == (k == 0 || k == 3 ? 6u : k == 1 ? 1u : 0u));
    if (!t.values.empty())
      CHECK(std::memcmp(t.values.data(), tensors[k].data, 4 * t.values.size()) == 0);
  }
  REQUIRE(back.find("b") != nullptr);
  CHECK(back.find("b")->shape == std::vector<std::size_t>{6});
  CHECK(back.find("missing") == nullptr);
}

TEST_CASE("safetensors writer reproduces the reference implementation's bytes") {
  // The layouts of huggingface/safetensors' own serialization tests, typed out by hand: compact
  // JSON, entry fields in the order dtype, shape, data_offsets, "__metadata__" first, spaces
  // padding the header to a multiple of 8, tensors contiguous from 0.
  const std::vector<float> data = {0, 1, 2, 3, 4, 5};
  const std::string attn = R"({"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}})";
  REQUIRE(attn.size() == 64);
  CHECK(written({{"attn.0", {1, 2, 3}, data.data()}}) == file(attn, f32_le({0, 1, 2, 3, 4, 5})));

  const std::string attn0 = R"({"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}})";
  CHECK(written({{"attn0", {1, 1, 2, 3}, data.data()}}) ==
        file(attn0 + "       ", f32_le({0, 1, 2, 3, 4, 5})));

  CHECK(written({}) == file("{}      "));
  CHECK(written({}, {{"framework", "pt"}}) == file(R"({"__metadata__":{"framework":"pt"}})"
                                                   "     "));
}

TEST_CASE("safetensors reads a PyTorch-style file: sorted by dtype then name, F16 and BF16") {
  // What safetensors.torch.save_file writes for {"layers.0.weight": float32 (2, 2),
  // "layers.0.bias": float32 (2,), "t.half": float16 (2,), "t.brain": bfloat16 (1,)} with
  // metadata {"format": "pt"}: descending dtype (F32 > BF16 > F16), then by name.
  const std::string header =
      R"({"__metadata__":{"format":"pt"},)"
      R"("layers.0.bias":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
      R"("layers.0.weight":{"dtype":"F32","shape":[2,2],"data_offsets":[8,24]},)"
      R"("t.brain":{"dtype":"BF16","shape":[1],"data_offsets":[24,26]},)"
      R"("t.half":{"dtype":"F16","shape":[2],"data_offsets":[26,30]}})";
  const std::string padding((8 - header.size() % 8) % 8, ' ');
  // bfloat16 -2.5 = 0xC020; float16 1.0 = 0x3C00, -2^-24 (the smallest subnormal) = 0x8001.
  const std::string data = f32_le({0.5f, -1.0f, 1.0f, 2.0f, 3.0f, 4.0f}) + "\x20\xC0" +
                           std::string("\x00\x3C\x01\x80", 4);
  const Safetensors st = read(file(header + padding, data));
  CHECK(st.metadata == SafetensorsMetadata{{"format", "pt"}});
  REQUIRE(st.tensors.size() == 4);
  CHECK(st.tensors[1].name == "layers.0.weight");
  CHECK(st.tensors[1].shape == std::vector<std::size_t>{2, 2});
  CHECK(st.tensors[1].values == std::vector<float>{1, 2, 3, 4});
  CHECK(st.find("t.brain")->dtype == "BF16");
  CHECK(st.find("t.brain")->values == std::vector<float>{-2.5f});
  CHECK(st.find("t.half")->values == std::vector<float>{1.0f, -std::ldexp(1.0f, -24)});

  // The F32 part of that file is exactly what our writer produces for those tensors in order.
  const std::string f32_header =
      R"({"__metadata__":{"format":"pt"},)"
      R"("layers.0.bias":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
      R"("layers.0.weight":{"dtype":"F32","shape":[2,2],"data_offsets":[8,24]}})";
  const std::vector<float> bias = {0.5f, -1.0f}, weight = {1, 2, 3, 4};
  CHECK(written({{"layers.0.bias", {2}, bias.data()}, {"layers.0.weight", {2, 2}, weight.data()}},
                {{"format", "pt"}}) ==
        file(f32_header + std::string((8 - f32_header.size() % 8) % 8, ' '),
             f32_le({0.5f, -1.0f, 1, 2, 3, 4})));
}

TEST_CASE("safetensors converts F64 and F16 special values to float32") {
  const double doubles[3] = {0.1, -1e300, 1e-50};
  std::string data(reinterpret_cast<const char*>(doubles), 24);  // the test host is little-endian
  data += std::string("\x00\x7C\x00\xFC\x01\x7C\xFF\x03", 8);    // +inf, -inf, NaN, subnormal
  const Safetensors st = read(file(R"({"d":{"dtype":"F64","shape":[3],"data_offsets":[0,24]},)"
                                   R"("h":{"dtype":"F16","shape":[4],"data_offsets":[24,32]}})",
                                   data));
  CHECK(st.find("d")->values[0] == 0.1f);
  CHECK(st.find("d")->values[1] == -std::numeric_limits<float>::infinity());
  CHECK(st.find("d")->values[2] == 0.0f);
  const auto& h = st.find("h")->values;
  CHECK(h[0] == std::numeric_limits<float>::infinity());
  CHECK(h[1] == -std::numeric_limits<float>::infinity());
  CHECK(std::isnan(h[2]));
  CHECK(h[3] == 1023 * std::ldexp(1.0f, -24));  // the largest subnormal
}

TEST_CASE("safetensors rejects bad header lengths") {
  CHECK_THAT(error_of(""), Catch::Contains("model.safetensors: the file is 0 bytes"));
  CHECK_THAT(error_of(std::string("\x08\x00\x00", 3)), Catch::Contains("3 bytes"));
  CHECK_THAT(error_of(u64_le(UINT64_MAX) + "{}"),
             Catch::Contains("header length 18446744073709551615 is larger than the limit"));
  CHECK_THAT(error_of(u64_le(100'000'001) + "{}"), Catch::Contains("limit of 100000000"));
  CHECK_THAT(error_of(u64_le(16) + "{}      "),
             Catch::Contains("runs past the end") && Catch::Contains("(8 bytes follow"));
}

TEST_CASE("safetensors rejects headers that are not JSON objects, duplicates and deep nesting") {
  CHECK_THAT(error_of(file("{]      ")), Catch::Contains("not valid JSON"));
  CHECK_THAT(error_of(file("{}garbage")), Catch::Contains("not valid JSON"));
  CHECK_THAT(error_of(file(std::string("{\"a\x00\":1}", 9))), Catch::Contains("not valid JSON"));
  CHECK_THAT(error_of(file("{\"\xff\":1}")), Catch::Contains("not valid JSON"));  // bad UTF-8
  CHECK_THAT(error_of(file("{\"x\":1e999}")), Catch::Contains("not valid JSON"));
  CHECK_THAT(error_of(file("[1, 2]  ")), Catch::Contains("the header is a JSON array") &&
                                             Catch::Contains("expected an object"));
  CHECK_THAT(
      error_of(file(R"({"a":)" + valid_entry + R"(,"a":)" + valid_entry + "}", f32_le({1, 2}))),
      Catch::Contains("key 'a' appears twice") && Catch::Contains("tensor name"));
  CHECK_THAT(
      error_of(file(R"({"a":{"dtype":"F32","dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
                    f32_le({1, 2}))),
      Catch::Contains("key 'dtype' appears twice") && Catch::Contains("field"));
  CHECK_THAT(error_of(file(R"({"__metadata__":{"k":"1","k":"2"}})")),
             Catch::Contains("key 'k' appears twice"));
  const std::string deep = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":)" +
                           std::string(100, '[') + std::string(100, ']') + "}}";
  CHECK_THAT(error_of(file(deep, f32_le({1, 2}))), Catch::Contains("deeper than 64"));
}

TEST_CASE("safetensors rejects missing and ill-typed entry fields") {
  const auto entry_error = [](const std::string& entry) {
    return error_of(file(R"({"w":)" + entry + "}", f32_le({1, 2})));
  };
  CHECK_THAT(entry_error("[1]"), Catch::Contains("tensor 'w' is a array"));
  CHECK_THAT(entry_error(R"({"shape":[2],"data_offsets":[0,8]})"),
             Catch::Contains("tensor 'w' has no \"dtype\""));
  CHECK_THAT(entry_error(R"({"dtype":"F32","data_offsets":[0,8]})"),
             Catch::Contains("no \"shape\""));
  CHECK_THAT(entry_error(R"({"dtype":"F32","shape":[2]})"), Catch::Contains("no \"data_offsets\""));
  CHECK_THAT(entry_error(R"({"dtype":32,"shape":[2],"data_offsets":[0,8]})"),
             Catch::Contains("dtype is a number"));
  CHECK_THAT(entry_error(R"({"dtype":"F128","shape":[2],"data_offsets":[0,8]})"),
             Catch::Contains("unknown dtype 'F128'") && Catch::Contains("BF16"));
  CHECK_THAT(entry_error(R"({"dtype":"I64","shape":[1],"data_offsets":[0,8]})"),
             Catch::Contains("has dtype I64: only F32 can be read"));
  CHECK_THAT(entry_error(R"({"dtype":"F32","shape":2,"data_offsets":[0,8]})"),
             Catch::Contains("shape is a number"));
  CHECK_THAT(entry_error(R"({"dtype":"F32","shape":[-2],"data_offsets":[0,8]})"),
             Catch::Contains("shape[0] = -2 is negative"));
  CHECK_THAT(entry_error(R"({"dtype":"F32","shape":[2.0],"data_offsets":[0,8]})"),
             Catch::Contains("shape[0] is '2.0': expected a non-negative integer"));
  CHECK_THAT(entry_error(R"({"dtype":"F32","shape":[1,"2"],"data_offsets":[0,8]})"),
             Catch::Contains("shape[1] is string"));
  CHECK_THAT(entry_error(R"({"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]})"),
             Catch::Contains("more bytes than fit in 64 bits"));
  CHECK_THAT(entry_error(R"({"dtype":"F32","shape":[2],"data_offsets":[0]})"),
             Catch::Contains("data_offsets is '[0]': expected [begin, end]"));
  CHECK_THAT(entry_error(R"({"dtype":"F32","shape":[2],"data_offsets":{"a":1}})"),
             Catch::Contains("expected [begin, end]"));
  CHECK_THAT(entry_error(R"({"dtype":"F32","shape":[2],"data_offsets":[0,-8]})"),
             Catch::Contains("data_offsets[1] = -8 is negative"));
  CHECK_THAT(entry_error(R"({"dtype":"F32","shape":[2],"data_offsets":[8,0]})"),
             Catch::Contains("[8, 0] is invalid: expected begin <= end <= 8"));
  CHECK_THAT(entry_error(R"({"dtype":"F32","shape":[2],"data_offsets":[0,16]})"),
             Catch::Contains("[0, 16] is invalid"));
  CHECK_THAT(entry_error(R"({"dtype":"F32","shape":[3],"data_offsets":[0,8]})"),
             Catch::Contains("has 8 bytes of data, but its shape and dtype F32 need 12"));
  // Unknown fields are ignored, as by the reference implementation.
  CHECK_THAT(entry_error(R"({"dtype":"F32","shape":[2],"data_offsets":[0,8],"extra":[{}]})"),
             Catch::Equals("no error"));
}

TEST_CASE("safetensors rejects overlapping, gapped and incomplete data, and bad metadata") {
  const std::string data = f32_le({1, 2, 3, 4});
  CHECK_THAT(error_of(file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                           R"("b":{"dtype":"F32","shape":[3],"data_offsets":[4,16]}})",
                           data)),
             Catch::Contains("tensors 'a' [0, 8) and 'b' [4, 16) overlap"));
  CHECK_THAT(error_of(file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                           R"("b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})",
                           data)),
             Catch::Contains("'b' starts at byte 8 but the data before it ends at 4"));
  CHECK_THAT(error_of(file(R"({"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})", data)),
             Catch::Contains("starts at byte 8 but the data before it ends at 0"));
  CHECK_THAT(error_of(file(R"({"a":)" + valid_entry + "}", data)),
             Catch::Contains("cover 8 of the 16 bytes"));
  CHECK_THAT(error_of(file(R"({"__metadata__":"pt"})")),
             Catch::Contains("__metadata__ is a string: expected an object of strings"));
  CHECK_THAT(error_of(file(R"({"__metadata__":{"epoch":3}})")),
             Catch::Contains("__metadata__ 'epoch' is a number: expected a string"));
  CHECK_THAT(error_of(file(R"({"__metadata__":null})")), Catch::Contains("__metadata__ is a null"));
}

TEST_CASE("safetensors names control characters safely and shortens long values") {
  const std::string message = error_of(file("{\"a\\nb\":5}"));
  CHECK_THAT(message, Catch::Contains("tensor 'a\\x0ab' is a number"));
  std::string offsets = "[0";
  for (int k = 0; k < 300; ++k) offsets += ",0";
  const std::string long_value =
      error_of(file(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":)" + offsets + "]}}"));
  CHECK_THAT(long_value, Catch::Contains("data_offsets is '[0,0,0") && Catch::Contains("...'"));
  CHECK(long_value.size() < 200);
  const std::string long_number = error_of(file("{\"x\":1" + std::string(500, '0') + "}"));
  CHECK_THAT(long_number, Catch::Contains("not valid JSON"));
  CHECK(long_number.size() < 300);
}

TEST_CASE("safetensors reading a stream refuses more than the limit") {
  const std::vector<float> w(100, 1.0f);
  const std::string bytes = written({{"w", {100}, w.data()}});
  std::istringstream in(bytes);
  CHECK_THROWS_WITH(safetensors_read(in, bytes.size() - 1, "big.safetensors"),
                    Catch::Contains("big.safetensors: larger than the limit of"));
  std::istringstream again(bytes);
  CHECK(safetensors_read(again, bytes.size()).tensors.at(0).values == w);
}

TEST_CASE("safetensors writer rejects bad names and metadata") {
  const float x = 1;
  CHECK_THROWS_WITH(written({{"", {1}, &x}}), Catch::Contains("reserved"));
  CHECK_THROWS_WITH(written({{"__metadata__", {1}, &x}}), Catch::Contains("reserved"));
  CHECK_THROWS_WITH(written({{"a", {1}, &x}, {"a", {1}, &x}}),
                    Catch::Contains("'a' is given twice"));
  CHECK_THROWS_WITH(written({{"a", {2}, nullptr}}), Catch::Contains("'a' has no data"));
  CHECK_THROWS_AS(written({{"bad\xff", {1}, &x}}), Error);
  CHECK_THROWS_AS(written({}, {{"k", "\xc3"}}), Error);
}
