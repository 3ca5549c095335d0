#include "data/normalization.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include <nlohmann/json.hpp>

#include "base/error.hpp"

namespace diffuse {
namespace {

void check_columns(const Normalization& norm, const Tensor2& x, const char* what) {
  if (!norm.discrete() && x.shape(1) != norm.mean.size()) {
    fail("cannot ", what, " points with ", x.shape(1), " columns: the normalization has ",
         norm.mean.size(), " dimensions");
  }
}

std::vector<double> json_numbers(const nlohmann::json& json, const char* key) {
  const auto it = json.find(key);
  if (it == json.end())
    fail("normalization JSON has no \"", key, "\": expected an array of numbers");
  if (!it->is_array()) {
    fail("normalization \"", key, "\" is ", it->type_name(), ": expected an array of numbers");
  }
  std::vector<double> out;
  for (std::size_t d = 0; d < it->size(); ++d) {
    const auto& value = (*it)[d];
    if (!value.is_number()) {
      fail("normalization \"", key, "\"[", d, "] is ", value.type_name(), ": expected a number");
    }
    out.push_back(value.get<double>());
  }
  return out;
}

}  // namespace

Normalization normalization_fit(const Tensor2& x) {
  const std::size_t n = x.shape(0), D = x.shape(1);
  if (n == 0 || D == 0)
    fail("cannot normalize ", n, " points of dimension ", D, ": need n, D >= 1");
  Normalization norm{std::vector<double>(D, 0.0), std::vector<double>(D, 0.0)};
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t d = 0; d < D; ++d) norm.mean[d] += x(i, d);
  }
  for (double& m : norm.mean) m /= static_cast<double>(n);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t d = 0; d < D; ++d) {
      const double deviation = x(i, d) - norm.mean[d];
      norm.stddev[d] += deviation * deviation;
    }
  }
  for (std::size_t d = 0; d < D; ++d) {
    norm.stddev[d] = std::sqrt(norm.stddev[d] / static_cast<double>(n));
    if (!(norm.stddev[d] > 0.0) || !std::isfinite(norm.stddev[d]) || !std::isfinite(norm.mean[d])) {
      fail("cannot normalize dimension ", d, " of ", n, " points: mean ", norm.mean[d],
           ", standard deviation ", norm.stddev[d],
           ": expected a finite mean and a positive finite standard deviation");
    }
  }
  return norm;
}

Normalization normalization_levels(int levels) {
  Normalization norm;
  norm.levels = levels;
  normalization_validate(norm);
  return norm;
}

void normalization_validate(const Normalization& norm) {
  if (norm.levels != 0) {
    if (norm.levels < 2 || norm.levels > normalization_max_levels) {
      fail("normalization levels = ", norm.levels, ": expected 2..", normalization_max_levels);
    }
    if (!norm.mean.empty() || !norm.stddev.empty()) {
      fail("normalization has both levels and per-dimension statistics");
    }
    return;
  }
  const std::size_t D = norm.mean.size();
  if (D == 0 || norm.stddev.size() != D) {
    fail("normalization has ", D, " means and ", norm.stddev.size(),
         " standard deviations: expected the same number, at least 1");
  }
  for (std::size_t d = 0; d < D; ++d) {
    if (!std::isfinite(norm.mean[d]))
      fail("normalization mean[", d, "] = ", norm.mean[d], ": expected a finite number");
    if (!(norm.stddev[d] > 0.0) || !std::isfinite(norm.stddev[d])) {
      fail("normalization std[", d, "] = ", norm.stddev[d], ": expected a positive finite number");
    }
  }
}

namespace {

// (x - m) / s for every value, m = s = (L - 1) / 2: [0, L - 1] -> [-1, 1].
double levels_half_range(const Normalization& norm) {
  return (norm.levels - 1) / 2.0;
}

}  // namespace

Tensor2 normalization_apply(const Normalization& norm, const Tensor2& x) {
  Tensor2 out = x;
  normalization_apply_in_place(norm, out);
  return out;
}

void normalization_apply_in_place(const Normalization& norm, Tensor2& x) {
  check_columns(norm, x, "normalize");
  if (norm.discrete()) {
    const double h = levels_half_range(norm);
    for (std::size_t i = 0; i < x.size(); ++i) {
      x.data()[i] = static_cast<float>((x.data()[i] - h) / h);
    }
    return;
  }
  for (std::size_t i = 0; i < x.shape(0); ++i) {
    for (std::size_t d = 0; d < x.shape(1); ++d) {
      x(i, d) = static_cast<float>((x(i, d) - norm.mean[d]) / norm.stddev[d]);
    }
  }
}

Tensor2 normalization_undo(const Normalization& norm, const Tensor2& z) {
  check_columns(norm, z, "denormalize");
  Tensor2 out = Tensor2::from_shape(z.shape());
  if (norm.discrete()) {
    const double h = levels_half_range(norm);
    for (std::size_t i = 0; i < z.size(); ++i) {
      out.data()[i] = static_cast<float>(z.data()[i] * h + h);
    }
    return out;
  }
  for (std::size_t i = 0; i < z.shape(0); ++i) {
    for (std::size_t d = 0; d < z.shape(1); ++d) {
      out(i, d) = static_cast<float>(z(i, d) * norm.stddev[d] + norm.mean[d]);
    }
  }
  return out;
}

double normalization_log_det_jacobian(const Normalization& norm) {
  if (norm.discrete()) {
    fail("the normalization of discrete data (", norm.levels, " levels) has no Jacobian in the ",
         "ELBO: its bound is on the discrete NLL");
  }
  double log_det = 0.0;
  for (double s : norm.stddev) log_det -= std::log(s);
  return log_det;
}

nlohmann::json normalization_to_json(const Normalization& norm) {
  if (norm.discrete()) return nlohmann::json{{"levels", norm.levels}};
  return nlohmann::json{{"mean", norm.mean}, {"std", norm.stddev}};
}

Normalization normalization_from_json(const nlohmann::json& json) {
  if (!json.is_object())
    fail("normalization is ", json.type_name(), ": expected an object with \"mean\" and \"std\"");
  if (json.contains("levels")) {
    const auto& levels = json.at("levels");
    if (!levels.is_number_integer()) {
      fail("normalization \"levels\" is ", levels.dump(), ": expected an integer");
    }
    if (json.size() != 1) fail("normalization has \"levels\" and other fields: expected only levels");
    const auto value = levels.get<std::int64_t>();
    if (value < 2 || value > normalization_max_levels) {
      fail("normalization levels = ", value, ": expected 2..", normalization_max_levels);
    }
    return normalization_levels(static_cast<int>(value));
  }
  Normalization norm{json_numbers(json, "mean"), json_numbers(json, "std")};
  normalization_validate(norm);
  return norm;
}

void normalization_clip_to_range(const Normalization& norm, Tensor2& x) {
  if (!norm.discrete()) return;
  const float top = static_cast<float>(norm.levels - 1);
  for (float& v : x) v = std::min(std::max(v, 0.0f), top);
}

}  // namespace diffuse
