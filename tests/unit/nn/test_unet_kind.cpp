// The U-Net behind the model factory (nn/unet_kind.hpp, nn/model_config.hpp): a model config of
// kind "unet" round-trips through JSON with its kind, validates through the kind, and the factory
// makes a UNet with the configuration's sample shape, classes and parameter layout (checked
// against the count docs/diffusers-unet.md states for its example: 159 tensors, 919,297
// parameters), all parameters zero until initialized; describe reports it.
#include <catch2/catch.hpp>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "nn/model_config.hpp"
#include "nn/unet.hpp"
#include "nn/unet_kind.hpp"

using namespace diffuse;
using Catch::Contains;
using nlohmann::json;

namespace {

// docs/diffusers-unet.md's example: (32, 64), 2 resnets, 8 groups, attention, num_class_embeds 11.
UNetConfig example() {
  UNetConfig c;
  c.add_attention = true;
  c.classes = 10;
  return c;
}

}  // namespace

TEST_CASE("a unet model config records its kind and round-trips through JSON") {
  const ModelConfig config = example();
  CHECK(model_kind(config) == "unet");
  CHECK(std::string(NetworkKind<UNetConfig>::name) == "unet");
  const json j = model_config_to_json(config);
  CHECK(j.at("kind") == "unet");
  CHECK(j.at("block_out_channels") == json::array({32, 64}));
  CHECK(j.at("classes") == 10);
  CHECK(model_config_from_json(j) == config);
  CHECK(model_sample_shape(config) == SampleShape{1, 8, 8});
  CHECK(model_sample_size(config) == 64);
  CHECK(model_classes(config) == 10);
  CHECK_NOTHROW(model_config_validate(config));
  UNetConfig bad = example();
  bad.norm_num_groups = 7;
  CHECK_THROWS_WITH(model_config_validate(ModelConfig{bad}), Contains("norm_num_groups = 7"));
  json unknown = j;
  unknown["hidden"] = 128;  // an MLP field under kind "unet"
  CHECK_THROWS_WITH(model_config_from_json(unknown), Contains("unknown field 'hidden'"));
}

TEST_CASE("the factory makes a UNet of the layout's size, shape and classes") {
  struct Case {
    UNetConfig config;
    SampleShape shape;
    std::size_t classes;
  };
  UNetConfig fashion;
  fashion.block_out_channels = {8, 16, 16};
  fashion.layers_per_block = 1;
  fashion.norm_num_groups = 4;
  fashion.sample_size = 28;
  fashion.in_channels = 3;
  const Case cases[] = {{example(), {1, 8, 8}, 10}, {fashion, {3, 28, 28}, 0}};
  for (const Case& c : cases) {
    INFO(unet_config_to_json(c.config).dump());
    std::unique_ptr<Network> network = network_make(c.config);
    const UNet* unet = dynamic_cast<const UNet*>(network.get());
    REQUIRE(unet != nullptr);
    CHECK(unet->config() == c.config);
    CHECK(network->sample_shape() == c.shape);
    CHECK(network->sample_size() == c.shape[0] * c.shape[1] * c.shape[2]);
    CHECK(network->classes() == c.classes);
    CHECK(network->conditional() == (c.classes > 0));
    const ParamLayout layout = model_param_layout(c.config);
    CHECK(network->layout().count() == layout.count());
    CHECK(network->layout().slices().size() == layout.slices().size());
    CHECK(network->params().size() == layout.total());
    CHECK(std::all_of(network->params().begin(), network->params().end(),
                      [](float v) { return v == 0.0f; }));
  }
  // The example's size as diffusers' UNet2DModel reports it (docs/diffusers-unet.md).
  const ParamLayout layout = model_param_layout(example());
  CHECK(layout.slices().size() == 159);
  CHECK(layout.count() == 919297);
}

TEST_CASE("an invalid unet config makes no network") {
  UNetConfig bad;
  bad.sample_size = 5;  // odd: the one downsampler can not halve it
  CHECK_THROWS_WITH(network_make(bad), Contains("sample_size = 5"));
  CHECK_THROWS_WITH(UNet(bad), Contains("sample_size = 5"));
}

TEST_CASE("describe reports the U-Net with its parameter count") {
  CHECK_THAT(model_describe(example()),
             Contains("U-Net (diffusers UNet2DModel), 919,297 parameters") &&
                 Contains("channels (32,64)") && Contains("10 classes"));
  CHECK(NetworkKind<UNetConfig>::describe(example(), 5) == unet_config_describe(example(), 5));
}
