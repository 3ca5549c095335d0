#pragma once
// Any network (nn/network.hpp) as a denoiser: the network's output read as the prediction type
// the model was trained for (diffusion/diffusion_config.hpp). The network knows nothing of
// diffusion; this is where its output gets its meaning. A network with a doubled output
// (Network::output_size() = 2 D) carries a learned variance: its first D values per row are the
// prediction, the next D the variance values o (diffusion/learned_variance.hpp), as diffusers'
// DDPMScheduler splits a learned_range model's output.
#include <memory>

#include "diffusion/denoiser.hpp"
#include "nn/chunked_forward.hpp"
#include "nn/network.hpp"

namespace diffuse {

class NetworkDenoiser final : public Denoiser {
 public:
  NetworkDenoiser(std::unique_ptr<Network> network, Prediction prediction);

  Network& network() { return *network_; }
  const Network& network() const { return *network_; }

  std::size_t data_dim() const override { return network_->sample_size(); }
  Prediction prediction() const override { return prediction_; }
  std::size_t classes() const override { return network_->classes(); }
  bool learned_variance() const override {
    return network_->output_size() == 2 * network_->sample_size();
  }

  using Denoiser::predict;
  using Denoiser::predict_at;
  void predict(Tensor2& out, const Tensor2& x_t, const Steps& t, const Labels* labels,
               const Executor& executor) override;
  void predict_at(Tensor2& out, const Tensor2& x_t, int t, const Labels* labels,
                  const Executor& executor) override;
  // The network at the level's t, fractional or not (Network::forward_at); alpha_bar is the
  // sampler's business.
  void predict_at_level(Tensor2& out, const Tensor2& x_t, const NoiseLevel& level,
                        const Labels* labels, const Executor& executor) override;

  void predict_with_variance(Tensor2& out, Tensor2& o, const Tensor2& x_t, const Steps& t,
                             const Labels* labels, const Executor& executor) override;

  // A denoiser of the same network and weights, with workspaces of its own.
  std::unique_ptr<NetworkDenoiser> clone() const;

 private:
  // out (B, D) = the prediction columns of whole_ (B, O), and o (B, D) the variance columns when
  // o is not null.
  void split(Tensor2& out, Tensor2* o) const;

  std::unique_ptr<Network> network_;
  Prediction prediction_;
  Tensor2 whole_;  // (B, 2 D) a learned-variance network's output
  ChunkedForward chunked_;  // the network over many rows, in chunks shared among threads
};

}  // namespace diffuse
