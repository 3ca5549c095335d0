// The digits U-Net in TensorFlow.js: diffusers' UNet2DModel restricted to docs/diffusers-unet.md's
// family without attention (DownBlock2D / UpBlock2D, UNetMidBlock2D of two resnets), class-
// conditional, written from that page and python/diffuse_torch/unet2d.py. It is the same model as
// core/nn/unet.cpp: the parameters carry diffusers' state_dict names and PyTorch shapes at the
// boundary (loadWeights / gradients in PyTorch layout), so the check against PyTorch
// (check_against_torch.mjs) can load the very same numbers.
//
// Layout inside TF.js: NHWC activations (TF.js's convolutions are NHWC only), conv weights
// (k, k, Ci, Co), linear weights (in, out) so that y = x W + b is one matMul. For in_channels = 1
// an NCHW image and an NHWC image are the same flat array.
//
// Every function takes the tf namespace first: node imports @tensorflow/tfjs, the browser's worker
// has the global tf of the UMD bundle.
import { conv2d, conv2dOnData, embeddingLookup, upsampleNearest2x } from './custom_grads.mjs';

export const NORM_EPS = 1e-5;  // every GroupNorm (UNet2DModel's norm_eps)

// The digits defaults (native/commands/image_defaults.cpp): channels (16, 32), one resnet per down
// block, 8 groups, 8x8 images of one channel, 10 classes plus the null class.
export const DIGITS_MODEL = { channels: [16, 32], layersPerBlock: 1, groups: 8, sampleSize: 8, inChannels: 1, classes: 10 };

// (up block u, input channels, output channels) of every up resnet in forward order, from the
// stack of skip channel counts (conv_in, every down resnet, every downsampler; popped last first).
function upResnetChannels(channels, layers) {
  const skips = [channels[0]];
  channels.forEach((c, i) => {
    for (let j = 0; j < layers; j++) skips.push(c);
    if (i < channels.length - 1) skips.push(c);
  });
  const out = [];
  let current = channels[channels.length - 1];
  [...channels].reverse().forEach((c, u) => {
    for (let j = 0; j <= layers; j++) {
      out.push({ u, cin: current + skips.pop(), cout: c });
      current = c;
    }
  });
  return out;
}

// Throws unless the config is in the family and every GroupNorm's channels divide into groups.
export function validateConfig(config) {
  const { channels, layersPerBlock, groups, sampleSize, inChannels, classes } = config;
  if (!Array.isArray(channels) || !channels.length || !channels.every((c) => Number.isInteger(c) && c > 0)) {
    throw new Error(`channels ${JSON.stringify(channels)}: a non-empty list of positive integers`);
  }
  if (!(Number.isInteger(layersPerBlock) && layersPerBlock >= 1)) throw new Error(`layersPerBlock ${layersPerBlock}: an integer >= 1`);
  if (sampleSize % 2 ** (channels.length - 1)) throw new Error(`sampleSize ${sampleSize}: a multiple of ${2 ** (channels.length - 1)}`);
  if (inChannels !== 1) throw new Error('inChannels must be 1 (images of one channel)');
  if (!(Number.isInteger(classes) && classes >= 1)) throw new Error(`classes ${classes}: this model is class-conditional`);
  const norms = [...channels, ...upResnetChannels(channels, layersPerBlock).map((r) => r.cin)];
  for (const c of norms) if (c % groups) throw new Error(`groups ${groups} does not divide a GroupNorm of ${c} channels`);
}

// Every parameter as { name, shape } (PyTorch shape) in diffusers' state_dict order.
export function paramSpecs(config) {
  validateConfig(config);
  const { channels, layersPerBlock: L, inChannels } = config;
  const E = 4 * channels[0];
  const specs = [];
  const add = (name, shape) => specs.push({ name, shape });
  const conv = (name, cin, cout, k) => { add(`${name}.weight`, [cout, cin, k, k]); add(`${name}.bias`, [cout]); };
  const norm = (name, c) => { add(`${name}.weight`, [c]); add(`${name}.bias`, [c]); };
  const linear = (name, fin, fout) => { add(`${name}.weight`, [fout, fin]); add(`${name}.bias`, [fout]); };
  const resnet = (name, cin, cout) => {
    norm(`${name}.norm1`, cin);
    conv(`${name}.conv1`, cin, cout, 3);
    linear(`${name}.time_emb_proj`, E, cout);
    norm(`${name}.norm2`, cout);
    conv(`${name}.conv2`, cout, cout, 3);
    if (cin !== cout) conv(`${name}.conv_shortcut`, cin, cout, 1);
  };
  conv('conv_in', inChannels, channels[0], 3);
  linear('time_embedding.linear_1', channels[0], E);
  linear('time_embedding.linear_2', E, E);
  add('class_embedding.weight', [config.classes + 1, E]);
  channels.forEach((c, i) => {
    for (let j = 0; j < L; j++) resnet(`down_blocks.${i}.resnets.${j}`, j === 0 ? channels[Math.max(i - 1, 0)] : c, c);
    if (i < channels.length - 1) conv(`down_blocks.${i}.downsamplers.0.conv`, c, c, 3);
  });
  const up = upResnetChannels(channels, L);
  channels.forEach((_, u) => {
    up.filter((r) => r.u === u).forEach((r, j) => resnet(`up_blocks.${u}.resnets.${j}`, r.cin, r.cout));
    if (u < channels.length - 1) conv(`up_blocks.${u}.upsamplers.0.conv`, channels[channels.length - 1 - u], channels[channels.length - 1 - u], 3);
  });
  const top = channels[channels.length - 1];
  resnet('mid_block.resnets.0', top, top);
  resnet('mid_block.resnets.1', top, top);
  norm('conv_norm_out', channels[0]);
  conv('conv_out', channels[0], inChannels, 3);
  return specs;
}

// PyTorch layout <-> TF.js layout of one parameter (a Float32Array in, a tf.Tensor out and back).
// conv (Co, Ci, k, k) <-> (k, k, Ci, Co); linear (out, in) <-> (in, out); the rest as they are.
const isConvWeight = (shape) => shape.length === 4;
const isLinearWeight = (name, shape) => shape.length === 2 && !name.startsWith('class_embedding');
export function toTf(tf, name, shape, values) {
  const t = tf.tensor(values, shape, 'float32');
  if (isConvWeight(shape)) return tf.transpose(t, [2, 3, 1, 0]);
  if (isLinearWeight(name, shape)) return tf.transpose(t);
  return t;
}
export function fromTf(tf, name, shape, tensor) {
  if (isConvWeight(shape)) return tf.transpose(tensor, [3, 2, 0, 1]);
  if (isLinearWeight(name, shape)) return tf.transpose(tensor);
  return tensor;
}

// PyTorch's default initialization (U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for conv and linear
// weights and biases, N(0, 1) for the embedding, GroupNorm 1 and 0) from a seeded generator: the
// speed of a step does not depend on it; it only has to be a sane starting point.
export function initialWeights(config, random) {
  const out = {};
  const specs = paramSpecs(config);
  for (const { name, shape } of specs) {
    const n = shape.reduce((a, b) => a * b, 1);
    const v = new Float32Array(n);
    if (name.startsWith('class_embedding')) {
      for (let i = 0; i < n; i++) v[i] = random.normal();
    } else if (/norm/.test(name)) {
      v.fill(name.endsWith('.weight') ? 1 : 0);
    } else {
      const weightShape = specs.find((s) => s.name === name.replace(/bias$/, 'weight')).shape;
      const fanIn = weightShape.slice(1).reduce((a, b) => a * b, 1);
      const bound = 1 / Math.sqrt(fanIn);
      for (let i = 0; i < n; i++) v[i] = (2 * random.uniform() - 1) * bound;
    }
    out[name] = v;
  }
  return out;
}

// The frequencies of diffusers' Timesteps(C0, flip_sin_to_cos=True, downscale_freq_shift=0) with
// its float32 recipe: w_i = exp(float32(-ln 10000) * i / half), every step rounded to float32.
export function timeFrequencies(C0) {
  const half = Math.floor(C0 / 2);
  const w = new Float32Array(half);
  const minusLn = Math.fround(-Math.log(10000));
  for (let i = 0; i < half; i++) w[i] = Math.fround(Math.exp(Math.fround(Math.fround(minusLn * i) / half)));
  return w;
}

let modelCount = 0;  // TF.js variable names are global to the engine: each model gets its own prefix

// The model: its parameters as tf.Variables by diffusers name (TF.js layout) and forward().
export class UNet {
  // inputGrad: how convolutions compute dx, 'stock' (TF.js's kernel) or 'conv2d' (custom_grads.mjs).
  constructor(tf, config, weights, { inputGrad = 'stock' } = {}) {
    this.tf = tf;
    this.inputGrad = inputGrad;
    this.config = { ...config };
    this.specs = paramSpecs(config);
    this.params = {};
    const prefix = `unet${modelCount++}`;
    for (const { name, shape } of this.specs) {
      this.params[name] = tf.tidy(() => toTf(tf, name, shape, weights[name])).variable(true, `${prefix}/${name}`);
    }
    this.frequencies = tf.tensor2d(timeFrequencies(config.channels[0]), [1, config.channels[0] >> 1]);
  }

  variables() { return this.specs.map((s) => this.params[s.name]); }

  // GroupNorm over groups of consecutive channels and all pixels, biased variance, then SiLU when
  // `silu` (every GroupNorm of this family is followed by one). x (B, H, W, C).
  groupNorm(x, prefix, silu = true) {
    const tf = this.tf;
    const [B, H, W, C] = x.shape;
    const G = this.config.groups;
    const grouped = tf.reshape(x, [B, H * W, G, C / G]);
    const { mean, variance } = tf.moments(grouped, [1, 3], true);
    const normed = tf.reshape(tf.mul(tf.sub(grouped, mean), tf.rsqrt(tf.add(variance, NORM_EPS))), [B, H, W, C]);
    const y = tf.add(tf.mul(normed, this.params[`${prefix}.weight`]), this.params[`${prefix}.bias`]);
    return silu ? this.silu(y) : y;
  }

  silu(x) { return this.tf.mul(x, this.tf.sigmoid(x)); }

  conv(x, prefix, stride = 1) {
    const tf = this.tf;
    const w = this.params[`${prefix}.weight`];
    const pad = w.shape[0] === 3 ? 1 : 0;
    return tf.add(conv2d(tf, x, w, stride, pad, this.inputGrad), this.params[`${prefix}.bias`]);
  }

  linear(x, prefix) {
    return this.tf.add(this.tf.matMul(x, this.params[`${prefix}.weight`]), this.params[`${prefix}.bias`]);
  }

  // ResnetBlock2D: conv1(SiLU(norm1 x)) + time_emb_proj(SiLU e) per channel, conv2(SiLU(norm2 .)),
  // plus x (or its 1x1 conv_shortcut when the channels change).
  resnet(x, siluEmb, prefix) {
    const tf = this.tf;
    let h = this.conv(this.groupNorm(x, `${prefix}.norm1`), `${prefix}.conv1`);
    const proj = this.linear(siluEmb, `${prefix}.time_emb_proj`);
    h = tf.add(h, tf.reshape(proj, [proj.shape[0], 1, 1, proj.shape[1]]));
    h = this.conv(this.groupNorm(h, `${prefix}.norm2`), `${prefix}.conv2`);
    const shortcut = this.params[`${prefix}.conv_shortcut.weight`] ? this.conv(x, `${prefix}.conv_shortcut`) : x;
    return tf.add(shortcut, h);
  }

  // The (B, 4 C0) embedding: linear_2(SiLU(linear_1([cos(t w), sin(t w)]))) + class_embedding[label].
  embedding(t, labels) {
    const tf = this.tf;
    const angles = tf.mul(tf.reshape(tf.cast(t, 'float32'), [-1, 1]), this.frequencies);
    let e = tf.concat([tf.cos(angles), tf.sin(angles)], 1);
    if (this.config.channels[0] % 2) e = tf.pad(e, [[0, 0], [0, 1]]);
    e = this.linear(this.silu(this.linear(e, 'time_embedding.linear_1')), 'time_embedding.linear_2');
    return tf.add(e, embeddingLookup(tf, this.params['class_embedding.weight'], labels));
  }

  // x (B, H, W, 1) float32, t (B,) int32 step indices, labels (B,) int32 in 0..K -> (B, H, W, 1).
  forward(x, t, labels) {
    const tf = this.tf;
    const { channels, layersPerBlock: L } = this.config;
    const n = channels.length;
    const siluEmb = this.silu(this.embedding(t, labels));  // every resnet applies SiLU to e first
    let h = tf.add(conv2dOnData(tf, x, this.params['conv_in.weight'], 1, 1), this.params['conv_in.bias']);
    const skips = [h];
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < L; j++) {
        h = this.resnet(h, siluEmb, `down_blocks.${i}.resnets.${j}`);
        skips.push(h);
      }
      if (i < n - 1) {
        h = this.conv(h, `down_blocks.${i}.downsamplers.0.conv`, 2);
        skips.push(h);
      }
    }
    h = this.resnet(h, siluEmb, 'mid_block.resnets.0');
    h = this.resnet(h, siluEmb, 'mid_block.resnets.1');
    for (let u = 0; u < n; u++) {
      for (let j = 0; j <= L; j++) h = this.resnet(tf.concat([h, skips.pop()], 3), siluEmb, `up_blocks.${u}.resnets.${j}`);
      if (u < n - 1) {
        h = this.conv(upsampleNearest2x(tf, h), `up_blocks.${u}.upsamplers.0.conv`);
      }
    }
    return this.conv(this.groupNorm(h, 'conv_norm_out'), 'conv_out');
  }
}
