#pragma once
// A trainable network, the one seam between a model and everything that trains, samples or
// evaluates it (ARCHITECTURE, "Models behind one seam"). It maps
//   x (B, D): B samples, row b sample b of shape sample_shape() in row-major order (D its size)
//   t (B,):   a step per row, which the network only embeds: integers in training, and real
//             numbers for samplers that interpolate between training steps (forward_at)
//   labels (B,), optional: class labels in 0..K-1, or K, the null class (classifier-free
//             guidance's "no class"; a missing labels argument means the null class for every row)
// to an output of x's shape, or of twice its channels (output_size() = 2 D: the configs' out_dim /
// out_channels, which improved DDPM's learned variance reads as [prediction, variance values]; the
// first D values of each output row are always those of x's shape). It knows nothing of diffusion: what the output means (eps, x0 or v)
// and how t relates to noise belong to core/diffusion/ (network_denoiser.hpp adapts a network
// into the denoiser that samplers and the ELBO use).
//
// Parameters, their gradients and any optimizer moments share one flat layout with PyTorch's
// names (base/params.hpp, ARCHITECTURE lesson 3). Training: zero_grad(); forward_train keeps what
// backward needs in a workspace the network owns; the caller computes dL/dout; backward
// accumulates dL/dparams into grads() (lesson 2). Inference (forward, forward_at) has its own
// workspace, so it never disturbs a training cache.
//
// A new kind of network is a subclass in its own files plus one line in nn/model_config.hpp's
// factory.
#include <cstddef>
#include <memory>
#include <vector>

#include "base/aligned.hpp"
#include "base/executor.hpp"
#include "base/params.hpp"
#include "base/rng.hpp"
#include "base/tensor.hpp"

namespace diffuse {

class Network {
 public:
  virtual ~Network() = default;
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;

  const SampleShape& sample_shape() const { return shape_; }
  std::size_t sample_size() const { return size_; }  // D
  // O: values per output row, D or 2 D (a second set of channels after the first D).
  std::size_t output_size() const { return output_size_; }
  // K: labels are 0..K-1 and K is the null class; 0 for an unconditional network.
  std::size_t classes() const { return classes_; }
  bool conditional() const { return classes_ > 0; }

  const ParamLayout& layout() const { return layout_; }
  AlignedBuffer& params() { return params_; }  // (P,), P = layout().total()
  const AlignedBuffer& params() const { return params_; }
  AlignedBuffer& grads() { return grads_; }  // (P,) dL/dparams, same layout
  const AlignedBuffer& grads() const { return grads_; }

  // Draws the initial weights (PyTorch's default initialization of each layer) from rng.
  virtual void init_params(Rng& rng) = 0;
  void zero_grad();

  // out (B, O) for x (B, D), t (B,) and labels (B,) or nullptr; keeps what backward needs. out
  // may be the same tensor as x in every forward: the input is consumed before out is written.
  // The integer steps are embedded as the real numbers they are (forward_train_times).
  void forward_train(Tensor2& out, const Tensor2& x, const Steps& t, const Labels* labels,
                     const Executor& executor);
  // The same with real-valued steps t (B values, B = x's rows): the flow objective trains on
  // t = sigma T, fractional when its schedule is shifted (diffusion/flow.hpp).
  virtual void forward_train_times(Tensor2& out, const Tensor2& x, const double* t,
                                   const Labels* labels, const Executor& executor) = 0;
  // grads += dL/dparams for d_out (B, O) = dL/dout of the last forward_train (same B).
  virtual void backward(const Tensor2& d_out, const Executor& executor) = 0;
  // Rows per forward_train/backward chunk in training a batch of `batch` rows
  // (diffusion/batch_gradient.hpp): what keeps a chunk's activations in cache, and the unit of
  // work threads share. A function of the network and the batch size, never of the thread count.
  virtual std::size_t train_chunk_rows(std::size_t batch) const = 0;
  // Rows per chunk when many rows are inferred at once (nn/chunked_forward.hpp): the unit of work
  // a thread takes, and what keeps a chunk's activations in cache. A constant of the network.
  virtual std::size_t infer_chunk_rows() const { return train_chunk_rows(0); }

  // out (B, O) for x (B, D) at steps t (B,), keeping nothing.
  virtual void forward(Tensor2& out, const Tensor2& x, const Steps& t, const Labels* labels,
                       const Executor& executor) = 0;
  // The same with every row at one step t, as samplers call it; a network may share the work
  // that depends only on t. t may be fractional (Euler and Heun interpolate between training
  // steps, and diffusers passes such t to the network as a real number); networks embed it as
  // such. The default fills a step vector and calls forward, so it takes integer t only (Error).
  virtual void forward_at(Tensor2& out, const Tensor2& x, double t, const Labels* labels,
                          const Executor& executor);

  // A network of the same configuration and weights, with workspaces of its own.
  virtual std::unique_ptr<Network> clone() const = 0;

 protected:
  // output_size: O, D or 2 D (Error otherwise).
  Network(SampleShape shape, std::size_t classes, ParamLayout layout, std::size_t output_size);

  // B, after checking x (B, D), steps (B) and labels (B or null, values 0..K); Error otherwise.
  // who names the network in messages.
  std::size_t check_batch(const char* who, const Tensor2& x, std::size_t steps,
                          const Labels* labels) const;

  // The steps t (B,) as the real numbers the embeddings take, in scratch.
  static const double* times_of(const Steps& t, std::vector<double>& scratch);

  const float* param(std::size_t offset) const { return params_.data() + offset; }
  float* grad(std::size_t offset) { return grads_.data() + offset; }

 private:
  std::vector<double> train_times_;  // forward_train's steps as real numbers
  SampleShape shape_;
  std::size_t size_ = 0;
  std::size_t output_size_ = 0;
  std::size_t classes_ = 0;
  ParamLayout layout_;
  AlignedBuffer params_;  // (P,)
  AlignedBuffer grads_;   // (P,)
};

}  // namespace diffuse
