// The training step of `diffuse train --dataset digits --conditional` (core/diffusion/trainer.cpp),
// in TensorFlow.js, top to bottom as Trainer::step: draw a batch (rows with replacement,
// t ~ U{0..T-1}, eps ~ N(0, I), each label replaced by the null class K with probability 0.1),
// x_t = sqrt(ab_t) x_0 + sqrt(1 - ab_t) eps, loss = mean (eps_hat - eps)^2, backward, global
// gradient-norm clip to 1.0 (torch's clip_grad_norm_: scale by c / (|g| + 1e-6) when below 1),
// a non-finite loss or norm skips the update, Adam (0.9, 0.999, 1e-8; m_hat / (sqrt(v_hat) + eps))
// at the warm-up + cosine learning rate of update k (nn/lr_schedule.hpp), then the EMA of the
// weights with diffusers' warm-up (nn/ema.hpp). Adam is TF.js's own tf.train.adam, whose update is
// exactly this one (docs/tfjs-reference.md); its learningRate is set before each update.
import { UNet, DIGITS_MODEL, initialWeights } from './unet.mjs';

// The digits' training settings (native/commands/image_defaults.cpp; core/diffusion/train_config.hpp
// and core/diffusion/schedule.hpp for the rest).
export const DIGITS_TRAIN = {
  batch: 64, lr: 2e-3, warmup: 100, steps: 2000, ema: 0.999, clip: 1.0,
  beta1: 0.9, beta2: 0.999, eps: 1e-8, labelDropout: 0.1, timesteps: 1000, betaStart: 1e-4, betaEnd: 0.02,
};
export { DIGITS_MODEL };

// A small seeded generator (SplitMix32 steps) with uniform, normal (Box-Muller) and integer draws.
// Its numbers are not diffuse's: a step's cost does not depend on which random numbers it draws.
export class Random {
  constructor(seed) { this.state = seed >>> 0; }
  next() {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  }
  uniform() { return this.next() / 4294967296; }
  below(n) { return Math.floor(this.uniform() * n); }
  normal() {
    const u = 1 - this.uniform(), v = this.uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}

// sqrt(ab_t) and sqrt(1 - ab_t) of the linear schedule (betas evenly from betaStart to betaEnd over
// T steps), products in double as core/diffusion/schedule.cpp builds them, stored as float32.
export function linearSchedule({ timesteps: T, betaStart, betaEnd }) {
  const sqrtAb = new Float32Array(T), sqrtOneMinusAb = new Float32Array(T);
  let ab = 1;
  for (let t = 0; t < T; t++) {
    ab *= 1 - (betaStart + (betaEnd - betaStart) * (T === 1 ? 0 : t / (T - 1)));
    sqrtAb[t] = Math.sqrt(ab);
    sqrtOneMinusAb[t] = Math.sqrt(1 - ab);
  }
  return { sqrtAb, sqrtOneMinusAb };
}

// Update k (0-based): base k / W during warm-up, then base (1 + cos(pi (k - W) / (N - W))) / 2.
export function learningRate(k, { lr, warmup, steps }) {
  if (k < warmup) return lr * k / warmup;
  const progress = Math.min(1, (k - warmup) / Math.max(1, steps - warmup));
  return Math.fround(lr * Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress))));
}

// After update k = 1, 2, ...: min(max, 1 - (1 + k)^(-2/3)).
export const emaDecay = (k, max) => Math.fround(Math.min(max, 1 - (1 + k) ** (-2 / 3)));

// The digits' training split's shape and size (1,500 images of 8x8, 10 classes) with uniform
// [-1, 1] pixels and random labels, as bench/wasm/bench_bindings.cpp and
// bench/torchref/unet_training.py time it: a step's arithmetic does not depend on the pixels.
export function randomDigits(random, { count = 1500, side = 8, classes = 10 } = {}) {
  const images = new Float32Array(count * side * side);
  for (let i = 0; i < images.length; i++) images[i] = 2 * random.uniform() - 1;
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) labels[i] = random.below(classes);
  return { images, labels, count, side, classes };
}

export class Trainer {
  // model: DIGITS_MODEL-like; train: DIGITS_TRAIN-like; weights: PyTorch-layout Float32Arrays by
  // name (default: a seeded initialization); inputGrad: 'stock' | 'conv2d' (custom_grads.mjs).
  constructor(tf, model, train, { data, weights, seed = 0, inputGrad = 'stock' } = {}) {
    this.tf = tf;
    this.train = { ...train };
    this.random = new Random(seed);
    this.data = data ?? randomDigits(this.random, { side: model.sampleSize, classes: model.classes });
    this.net = new UNet(tf, model, weights ?? initialWeights(model, this.random), { inputGrad });
    this.vars = this.net.variables();
    this.ema = this.vars.map((v) => tf.tidy(() => v.clone()).variable(false));
    this.optimizer = tf.train.adam(train.lr, train.beta1, train.beta2, train.eps);
    this.schedule = linearSchedule(train);
    this.k = 0;  // updates done
  }

  // x_t, t, the labels after dropout and eps of one batch, drawn as Trainer::draw_batch does.
  drawBatch() {
    const { batch: B, timesteps: T, labelDropout } = this.train;
    const { images, labels, count, side, classes } = this.data;
    const D = side * side, r = this.random;
    const xt = new Float32Array(B * D), eps = new Float32Array(B * D);
    const t = new Int32Array(B), y = new Int32Array(B);
    for (let b = 0; b < B; b++) {
      const row = r.below(count);
      t[b] = r.below(T);
      y[b] = r.uniform() < labelDropout ? classes : labels[row];
      const a = this.schedule.sqrtAb[t[b]], s = this.schedule.sqrtOneMinusAb[t[b]];
      for (let i = 0; i < D; i++) {
        eps[b * D + i] = r.normal();
        xt[b * D + i] = a * images[row * D + i] + s * eps[b * D + i];
      }
    }
    return { xt, t, labels: y, eps };
  }

  // The loss of a batch and its gradients by variable name (TF.js layout), inside the caller's tidy.
  lossAndGrads({ xt, t, labels, eps }) {
    const tf = this.tf;
    const B = t.length, S = this.data.side;
    const x = tf.tensor4d(xt, [B, S, S, 1]);
    const target = tf.tensor4d(eps, [B, S, S, 1]);
    const tt = tf.tensor1d(t, 'int32'), yy = tf.tensor1d(labels, 'int32');
    return tf.variableGrads(() => tf.mean(tf.squaredDifference(this.net.forward(x, tt, yy), target)), this.vars);
  }

  // One update from a given batch: clip, Adam at lr_k, EMA. Returns { loss, gradNorm, lr, finite }.
  trainOn(batch) {
    const tf = this.tf;
    return tf.tidy(() => {
      const { value, grads } = this.lossAndGrads(batch);
      const names = Object.keys(grads);
      const squared = tf.addN(names.map((n) => tf.sum(tf.square(grads[n]))));
      const [loss, sq] = tf.stack([value, squared]).dataSync();  // one read: the host decides, as in core
      const gradNorm = Math.sqrt(sq);
      const lr = learningRate(this.k, this.train);
      if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) return { loss, gradNorm, lr, finite: false };
      const factor = this.train.clip > 0 ? this.train.clip / (gradNorm + 1e-6) : 1;
      const clipped = {};
      for (const n of names) clipped[n] = factor < 1 ? tf.mul(grads[n], Math.fround(factor)) : grads[n];
      this.optimizer.learningRate = lr;
      this.optimizer.applyGradients(clipped);
      this.k += 1;
      const d = emaDecay(this.k, this.train.ema);
      this.vars.forEach((v, i) => this.ema[i].assign(tf.add(tf.mul(this.ema[i], d), tf.mul(v, 1 - d))));
      return { loss, gradNorm, lr, finite: true };
    });
  }

  step() { return this.trainOn(this.drawBatch()); }

  dispose() {
    for (const v of [...this.vars, ...this.ema]) v.dispose();
    this.net.frequencies.dispose();
    this.optimizer.dispose();
  }
}
