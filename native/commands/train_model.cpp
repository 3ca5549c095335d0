#include "commands/train_model.hpp"

#include "base/error.hpp"
#include "kernels/activation.hpp"
#include "support/arguments.hpp"

namespace diffuse::cli {
namespace {

const char* const mlp_flags[] = {"--hidden", "--layers", "--activation", "--residual",
                                 "--time-projection", "--time-embed", "--x-embed"};
const char* const unet_flags[] = {"--channels", "--layers-per-block", "--groups", "--attention"};

// A flag of the other network is a mistake worth naming, not a silent no-op.
template <std::size_t N>
void reject_flags(const CLI::App& command, const char* const (&flags)[N], const char* network) {
  for (const char* flag : flags) {
    if (command.count(flag) > 0) fail(flag, " has no effect on the ", network, " (--network)");
  }
}

MlpConfig mlp_from(const ModelOptions& o, const TrainingData& data) {
  MlpConfig m;
  m.hidden = static_cast<std::size_t>(o.hidden);
  m.layers = static_cast<std::size_t>(o.layers);
  m.time_embed = static_cast<std::size_t>(o.time_embed);
  m.x_embed = static_cast<std::size_t>(o.x_embed);
  m.activation = kernels::activations.value(o.activation);
  m.residual = o.residual;
  m.time_projection = o.time_projection;
  m.data_dim = data.samples.shape(1);
  m.classes = data.classes;
  return m;
}

UNetConfig unet_from(const ModelOptions& o, const TrainingData& data) {
  if (data.shape.size() != 3 || data.shape[1] != data.shape[2]) {
    fail("--network unet needs square images: the data '", data.source, "' has samples of ",
         data.shape.size() == 1 ? std::to_string(data.shape[0]) + " coordinates" : "another shape");
  }
  UNetConfig u;
  u.in_channels = data.shape[0];
  u.sample_size = data.shape[1];
  try {
    u.block_out_channels = unet_channels_from_text(o.channels);
  } catch (const Error& e) {
    fail("--channels: ", e.what());
  }
  u.layers_per_block = static_cast<std::size_t>(o.layers_per_block);
  u.norm_num_groups = static_cast<std::size_t>(o.groups);
  u.add_attention = o.attention;
  u.classes = data.classes;
  return u;
}

}  // namespace

void model_options_add(CLI::App& c, ModelOptions& o) {
  const MlpConfig m;
  const UNetConfig u;
  o.hidden = static_cast<std::int64_t>(m.hidden);
  o.layers = static_cast<std::int64_t>(m.layers);
  o.time_embed = static_cast<std::int64_t>(m.time_embed);
  o.x_embed = static_cast<std::int64_t>(m.x_embed);
  o.activation = kernels::activations.name(m.activation);
  o.residual = m.residual;
  o.time_projection = m.time_projection;
  o.channels = unet_channels_text(u.block_out_channels);
  o.layers_per_block = static_cast<std::int64_t>(u.layers_per_block);
  o.groups = static_cast<std::int64_t>(u.norm_num_groups);
  o.attention = u.add_attention;
  c.add_option("--network", o.network,
               "mlp | unet (default: unet for image data sets, mlp for points)")
      ->check(one_of(model_kinds()))
      ->group("Model")
      ->type_name("NAME");
  c.add_option("--hidden", o.hidden, "MLP: width H of every hidden layer")
      ->check(int_range(mlp_hidden_range))
      ->capture_default_str()
      ->group("Model");
  c.add_option("--layers", o.layers, "MLP: number of hidden layers")
      ->check(int_range(mlp_layers_range))
      ->capture_default_str()
      ->group("Model");
  c.add_option("--activation", o.activation, "MLP: " + mlp_activations.allowed(" | "))
      ->check(one_of(mlp_activations.names()))
      ->capture_default_str()
      ->group("Model")
      ->type_name("NAME");
  c.add_flag("--residual", o.residual,
             "MLP: residual blocks after the first layer: h + act(Linear(LayerNorm(h)))")
      ->group("Model");
  c.add_flag("--time-projection", o.time_projection,
             "MLP: learned Linear(E, E) + SiLU after the sinusoidal time embedding")
      ->group("Model");
  c.add_option("--time-embed", o.time_embed, "MLP: width E of the sinusoidal time embedding (even)")
      ->check(int_range(mlp_time_embed_range))
      ->capture_default_str()
      ->group("Model");
  c.add_option("--x-embed", o.x_embed,
               "MLP: sinusoidal embedding width per input coordinate (scale 25); 0: raw coordinates")
      ->check(int_range(mlp_x_embed_range))
      ->capture_default_str()
      ->group("Model");
  c.add_option("--channels", o.channels,
               "U-Net: channels per level, comma-separated (block_out_channels); the image side "
               "halves at each level after the first (default: the data set's)")
      ->group("Model")
      ->type_name("C0,C1,..");
  c.add_option("--layers-per-block", o.layers_per_block,
               "U-Net: resnets per down block (up blocks have one more; default: the data set's)")
      ->check(int_range(unet_layers_per_block_range))
      ->group("Model");
  c.add_option("--groups", o.groups,
               "U-Net: GroupNorm groups G (norm_num_groups); must divide every level's channels")
      ->check(int_range(unet_groups_range))
      ->group("Model");
  c.add_flag("--attention", o.attention,
             "U-Net: single-head self-attention between the middle block's resnets")
      ->group("Model");
}

ModelConfig model_config_from(const ModelOptions& o, const CLI::App& command,
                              const TrainingData& data, bool images) {
  const std::string network = o.network.empty() ? (images ? "unet" : "mlp") : o.network;
  if (network == "unet") {
    reject_flags(command, mlp_flags, "U-Net");
    const UNetConfig model = unet_from(o, data);
    try {
      unet_config_validate(model);
    } catch (const Error& e) {
      fail("the U-Net of --channels ", o.channels, " --layers-per-block ", o.layers_per_block,
           " --groups ", o.groups, " on ", model.sample_size, "x", model.sample_size, " images: ",
           e.what());
    }
    return model;
  }
  reject_flags(command, unet_flags, "MLP");
  const MlpConfig model = mlp_from(o, data);
  model_config_validate(model);
  return model;
}

}  // namespace diffuse::cli
