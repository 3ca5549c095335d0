#pragma once
// Per-dimension standardization of a training set (docs/reference-workload.md, "data"):
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
  std::vector<double> mean;    // (D,)
  std::vector<double> stddev;  // (D,) positive and finite
};

// The statistics of x (n >= 1 points; two passes in float64). Throws Error if a dimension has a
// standard deviation that is zero (e.g. all values equal, or n = 1) or not finite.     x: (n, D)
Normalization normalization_fit(const Tensor2& x);

// Throws Error unless D >= 1, both vectors have D entries, means are finite and standard
// deviations positive and finite.
void normalization_validate(const Normalization& norm);

// (x - mean) / std and its inverse, computed in float64 per value. Throw Error if the number of
// columns is not D.                                                     x, z: (n, D) -> (n, D)
Tensor2 normalization_apply(const Normalization& norm, const Tensor2& x);
Tensor2 normalization_undo(const Normalization& norm, const Tensor2& z);

// log|det d x_norm / d x| = -sum_d log std_d.
double normalization_log_det_jacobian(const Normalization& norm);

// {"mean": [...], "std": [...]}; numbers round-trip exactly. from_json validates and throws Error
// naming the bad field.
nlohmann::json normalization_to_json(const Normalization& norm);
Normalization normalization_from_json(const nlohmann::json& json);

}  // namespace diffuse
