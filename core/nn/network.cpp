#include "nn/network.hpp"

#include <algorithm>
#include <cmath>

#include "base/error.hpp"

namespace diffuse {

Network::Network(SampleShape shape, std::size_t classes, ParamLayout layout,
                 std::size_t output_size)
    : shape_(std::move(shape)),
      size_(sample_shape_size(shape_)),
      output_size_(output_size),
      classes_(classes),
      layout_(std::move(layout)),
      params_(params_allocate(layout_)),
      grads_(params_allocate(layout_)) {
  if (output_size_ != size_ && output_size_ != 2 * size_) {
    fail("a network's output has ", output_size_, " values per row: must be D = ", size_,
         " or 2 D = ", 2 * size_);
  }
}

void Network::zero_grad() {
  std::fill(grads_.begin(), grads_.end(), 0.0f);
}

void Network::forward_at(Tensor2& out, const Tensor2& x, double t, const Labels* labels,
                         const Executor& executor) {
  if (!(std::floor(t) == t && std::fabs(t) < 2147483647.0)) {
    fail("this network takes integer steps only; t = ", t, " is not one");
  }
  Steps steps = Steps::from_shape({x.shape(0)});
  steps.fill(static_cast<std::int32_t>(t));
  forward(out, x, steps, labels, executor);
}

void Network::forward_train(Tensor2& out, const Tensor2& x, const Steps& t, const Labels* labels,
                            const Executor& executor) {
  if (t.size() != x.shape(0)) fail("forward_train: ", x.shape(0), " rows of x but ", t.size(), " timesteps");
  forward_train_times(out, x, times_of(t, train_times_), labels, executor);
}

const double* Network::times_of(const Steps& t, std::vector<double>& scratch) {
  scratch.assign(t.begin(), t.end());
  return scratch.data();
}

std::size_t Network::check_batch(const char* who, const Tensor2& x, std::size_t steps,
                                 const Labels* labels) const {
  const std::size_t B = x.shape(0);
  if (x.shape(1) != size_) {
    fail(who, ": x has ", x.shape(1), " values per sample, the network's samples have ", size_);
  }
  if (steps != B) fail(who, ": ", B, " rows of x but ", steps, " timesteps");
  if (labels != nullptr) {
    if (labels->size() != B) fail(who, ": ", B, " rows of x but ", labels->size(), " labels");
    const auto K = static_cast<std::int32_t>(classes_);
    for (std::size_t b = 0; b < B; ++b) {
      const std::int32_t label = (*labels)(b);
      if (label < 0 || label > K) {
        fail(who, ": label ", label, " of row ", b, " is out of range: allowed are 0..", K,
             K > 0 ? " (" + std::to_string(K) + " is the null class)"
                   : " (an unconditional network takes only the null class 0)");
      }
    }
  }
  return B;
}

}  // namespace diffuse
