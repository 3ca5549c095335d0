#pragma once
// A checkpoint: the model's configuration and weights, and everything needed to resume training
// exactly, in one safetensors file (io/safetensors.hpp).
//
// Tensors:
//   <name>                   the EMA weights under PyTorch's names and shapes ("layers.0.weight"
//                            [128, 34], ...): what sampling uses, and what a torch.nn.Module of
//                            the same structure loads (state_dict keys without "training.")
//   training.params.<name>   the raw weights          } present in checkpoints written during
//   training.adam_m.<name>   Adam's first moment      } training; absent from exports
//   training.adam_v.<name>   Adam's second moment     }
//   training.data            (N, D) the normalized training set, so a resume needs nothing else
//   training.labels          (N,) its class labels (whole numbers stored as F32), if it has any
// (A named data set that can be loaded again, an image set, is not stored: config.data records
// its fingerprint, and a resumed run loads it by name and checks it.)
// Metadata (strings): "format" = "diffuse-checkpoint", "format_version" = "2", "config" = JSON
// {"schedule", "diffusion": {"prediction"}, "model": {"kind", ...the kind's fields}, "train",
//  "data": {"source", "normalization", "train_size", "shape", "classes", "class_names", "stored",
//  "fingerprint"}, "step", "adam_step", "ema_updates", "diffuse_version"}.
//
// Format version 1 (diffuse 0.1.0) is read too: its model is an MLP whose config holds the
// prediction type, and its data has no shape or labels; it loads as the same model, giving the
// same predictions bit for bit.
//
// Reading validates the format, the version, every configuration field, every tensor's presence
// and shape, and that weights are finite, and reports the first problem as an Error.
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "base/aligned.hpp"
#include "data/normalization.hpp"
#include "diffusion/diffusion_config.hpp"
#include "diffusion/network_denoiser.hpp"
#include "diffusion/schedule.hpp"
#include "diffusion/train_config.hpp"
#include "diffusion/trainer.hpp"
#include "nn/model_config.hpp"

namespace diffuse {

inline constexpr int checkpoint_format_version = 2;
inline constexpr const char* checkpoint_format_name = "diffuse-checkpoint";

struct CheckpointData {
  std::string source;           // the data set's name or the CSV file it came from
  Normalization normalization;  // maps samples back to data units
  std::size_t train_size = 0;   // N
  SampleShape shape;            // one sample's shape
  std::size_t classes = 0;      // K of the training labels; 0 without labels
  std::vector<std::string> class_names;  // (K,) or empty
  bool stored = true;           // training.data holds the set; false: load it by name (source)
  std::uint64_t fingerprint = 0;  // training_data_fingerprint of the set (0 if stored)
};

struct Checkpoint {
  ScheduleConfig schedule;
  DiffusionConfig diffusion;
  ModelConfig model;
  TrainConfig train;
  CheckpointData data;
  std::int64_t step = 0;     // optimizer updates done
  AlignedBuffer ema_params;  // (P,) the sampling weights in the model's flat layout
  // Present when the checkpoint can resume training.
  std::optional<TrainerState> training;  // raw weights, Adam state, EMA state
  Tensor2 train_samples;                 // (N, D) normalized training set; empty if absent
  Labels train_labels;                   // (N,) its labels; empty if absent or unlabeled
  // As read (a written checkpoint is always the current version).
  int format_version = checkpoint_format_version;
  std::string written_by;  // the diffuse version that wrote it
};

// A checkpoint of the trainer's current state (with training state and data).
Checkpoint checkpoint_from_trainer(const Trainer& trainer);
// Drops the training state: the model, its configuration and the normalization only.
Checkpoint checkpoint_export(const Checkpoint& checkpoint);

void checkpoint_write(std::ostream& out, const Checkpoint& checkpoint);
// Validates everything (see above). `source` names the file in errors.
Checkpoint checkpoint_read(const std::uint8_t* bytes, std::size_t size, std::string_view source);
Checkpoint checkpoint_read(std::istream& in, std::string_view source);
// The configuration alone (what a checkpoint's "config" metadata holds, format version 2), each
// field validated as checkpoint_read validates it and the model checked against the data: a
// checkpoint without weights (ema_params empty) or training state. Error naming `source` and the
// field otherwise. Keys it does not read ("adam_step", "ema_updates", "diffuse_version") are ignored.
Checkpoint checkpoint_config_read(const nlohmann::json& config, std::string_view source);

// The training set a checkpoint holds (Error if it has none, or does not store it).
TrainingData checkpoint_training_data(const Checkpoint& checkpoint);
// A trainer positioned exactly where the checkpoint's run stopped. Error if it has no training
// state. A checkpoint that does not store its data needs it given (loaded by name): Error unless
// its fingerprint, size and shape are the checkpoint's.
std::unique_ptr<Trainer> checkpoint_resume(const Checkpoint& checkpoint);
std::unique_ptr<Trainer> checkpoint_resume(const Checkpoint& checkpoint, TrainingData data);
// The model with the EMA weights (or, if use_ema is false, the raw ones, which need training state).
std::unique_ptr<NetworkDenoiser> checkpoint_denoiser(const Checkpoint& checkpoint, bool use_ema = true);

}  // namespace diffuse
