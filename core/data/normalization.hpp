#pragma once
// How data becomes the model's space, and back. Two forms:
//
// Levels (images): data on the grid 0..L-1 (17 grey levels of the digits, 256 of Fashion-MNIST)
// maps to [-1, 1] by the fixed affine map x_norm = 2 x / (L - 1) - 1, the same for every
// dimension and every data set of L levels (diffusers' images live in [-1, 1] alike). Such data is
// discrete: its ELBO bounds the discrete NLL through the discretized decoder (diffusion/elbo.hpp),
// so no Jacobian applies.
//
// Standardization (points): per-dimension standardization of a training set (docs/reference-workload.md, "data"):
//   x_norm = (x - mean) / std,  x = x_norm * std + mean,
// with the population statistics of the training set (mean = sum x / n,
// std = sqrt(sum (x - mean)^2 / n)), so that the normalized set has mean 0 and standard
// deviation 1 exactly in that sense. The statistics travel with the checkpoint (JSON below).
//
// Densities: the map has Jacobian diag(1 / std), so log p_data(x) = log p_norm(x_norm) +
// log|det J| with log|det J| = -sum_d log std_d; in negative log-likelihoods,
// NLL_data = NLL_norm + sum_d log std_d (reference spec, "ELBO evaluation").
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/tensor.hpp"

namespace diffuse {

struct Normalization {
  std::vector<double> mean;    // (D,) standardization; empty with levels
  std::vector<double> stddev;  // (D,) positive and finite; empty with levels
  int levels = 0;              // L >= 2: the fixed map of L levels; 0: standardization

  bool discrete() const { return levels > 0; }
};

inline constexpr int normalization_max_levels = 65536;

// The fixed map of data on 0..levels-1 to [-1, 1] (levels in 2..65536, else Error).
Normalization normalization_levels(int levels);

// The statistics of x (n >= 1 points; two passes in float64). Throws Error if a dimension has a
// standard deviation that is zero (e.g. all values equal, or n = 1) or not finite.     x: (n, D)
Normalization normalization_fit(const Tensor2& x);

// Standardization: throws Error unless D >= 1, both vectors have D entries, means are finite and
// standard deviations positive and finite. Levels: unless L is in 2..65536 and the vectors empty.
void normalization_validate(const Normalization& norm);

// (x - mean) / std and its inverse (levels: mean = std = (L - 1) / 2), computed in float64 per
// value. Throw Error if the number of columns is not D (standardization). x, z: (n, D) -> (n, D)
Tensor2 normalization_apply(const Normalization& norm, const Tensor2& x);
// The same in place (x becomes normalization_apply(norm, x), bit for bit): for a large data set
// (Fashion-MNIST's 188 MB of floats) without a second copy.
void normalization_apply_in_place(const Normalization& norm, Tensor2& x);
Tensor2 normalization_undo(const Normalization& norm, const Tensor2& z);
// Clips values in data units to the data's range, 0 .. L - 1 with levels (generated images stay
// valid pixels); standardized data has no range and is left alone.
void normalization_clip_to_range(const Normalization& norm, Tensor2& x);

// log|det d x_norm / d x| = -sum_d log std_d. Error with levels: discrete data has a discrete
// NLL, which no Jacobian changes.
double normalization_log_det_jacobian(const Normalization& norm);

// {"mean": [...], "std": [...]} or {"levels": L}; numbers round-trip exactly. from_json validates
// and throws Error naming the bad field.
nlohmann::json normalization_to_json(const Normalization& norm);
Normalization normalization_from_json(const nlohmann::json& json);

}  // namespace diffuse
