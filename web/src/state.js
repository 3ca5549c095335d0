// Every setting of the page, declared once: name, type, default, allowed values, and what a change
// does (its effect). The settings round-trip through the URL hash (only values that differ from
// the defaults are written), so a link reproduces a setup. The names are the ones the WebAssembly
// bindings read (web/bindings/settings.cpp).
//
// Defaults and limits the core defines are not written here: core(name) takes them from
// core_settings.js, which the build writes from the core itself (scripts/assemble_web.mjs), so the
// page offers exactly what the core accepts. What is written here is the page's own: labels,
// suggested choices, and the page's few deliberate departures (named where they are).
import { CORE_SETTINGS } from './core_settings.js';
import { FLOW_SAMPLER, SAMPLER_NAMES, SPACING_DEFAULT, displayName, samplerConsistent, samplersFor,
  takesFlow } from './samplers.js';
//
// Effects:
//   reset   the run changes meaning (data, schedule, model shape, seed): training restarts
//   live    applied to the running trainer at once, keeping its weights and optimizer state
//   sample  used by the next sampling, quality or ELBO run
//   view    only what a plot shows
//
// Kinds: a setting marked `only: 'points'` or `only: 'images'` belongs to that kind of data (the
// MLP's width, the U-Net's channels); `imageDefault` is its default for images where that differs
// (the digits defaults, docs/images.md "In the page": chosen by measurement in the browser).

export const DATASETS = ['moons', 'circles', 'gaussians8', 'gaussians25', 'swissroll', 'checkerboard', 'spirals'];
// Image data sets the page holds (web/dist/data, fetched when chosen), trained with the U-Net.
export const IMAGE_DATASETS = ['digits'];
export const CUSTOM_DATASET = 'custom';  // drawn points, a CSV file, or a checkpoint's own data

// 'images' or 'points': which model, controls and plots a data set gets.
export const kindOf = (dataset) => (IMAGE_DATASETS.includes(dataset) ? 'images' : 'points');

const live = 'live', reset = 'reset', sample = 'sample', view = 'view';

// The core's { default, min, max } of a setting (min and max only where the core has limits).
function core(name) {
  const spec = CORE_SETTINGS[name];
  if (!spec) throw new Error(`core_settings.js has no setting ${name}: rebuild (scripts/build.sh)`);
  return { ...spec };
}

export const SETTINGS = [
  // data
  { name: 'dataset', type: 'enum', default: 'moons', values: [...DATASETS, ...IMAGE_DATASETS, CUSTOM_DATASET],
    effect: reset, label: 'Data set', testid: 'dataset', names: { digits: 'digits (8×8)' } },
  { name: 'trainSize', type: 'int', ...core('trainSize'), choices: [1000, 2000, 10000, 50000],
    effect: reset, label: 'Training points', advanced: true, only: 'points' },
  // noise schedule
  { name: 'schedule', type: 'enum', ...core('schedule'), values: ['linear', 'scaled_linear', 'cosine', 'sigmoid'],
    effect: reset, label: 'Schedule' },
  { name: 'timesteps', type: 'int', ...core('timesteps'), choices: [50, 100, 250, 500, 1000, 2000],
    effect: reset, label: 'Steps T' },
  { name: 'betaStart', type: 'number', ...core('betaStart'), choices: [1e-5, 1e-4, 5e-4, 1e-3],
    effect: reset, label: 'β start' },
  { name: 'betaEnd', type: 'number', ...core('betaEnd'), choices: [0.01, 0.02, 0.05, 0.1],
    effect: reset, label: 'β end' },
  { name: 'zeroSnr', type: 'bool', ...core('zeroSnr'), effect: reset, label: 'Zero terminal SNR' },
  // model
  { name: 'hidden', type: 'int', ...core('hidden'), choices: [16, 32, 64, 128, 256, 512],
    effect: reset, label: 'Width', only: 'points' },
  { name: 'layers', type: 'int', ...core('layers'), choices: [1, 2, 3, 4, 5, 6],
    effect: reset, label: 'Depth', only: 'points' },
  // the U-Net (images): diffusers' block_out_channels, layers_per_block, norm_num_groups and the
  // middle block's attention (core/nn/unet_config.hpp)
  { name: 'channels', type: 'enum', ...core('channels'), imageDefault: '16,32',
    values: ['8,16', '16,32', '32,64', '16,32,32', '32,64,64'], effect: reset, label: 'Channels per level',
    only: 'images', testid: 'channels' },
  { name: 'layersPerBlock', type: 'int', ...core('layersPerBlock'), imageDefault: 1, choices: [1, 2, 3],
    effect: reset, label: 'Resnets per level', only: 'images' },
  { name: 'attention', type: 'bool', ...core('attention'), effect: reset, label: 'Middle attention', only: 'images' },
  { name: 'groups', type: 'int', ...core('groups'), choices: [1, 2, 4, 8, 16], effect: reset,
    label: 'GroupNorm groups', advanced: true, only: 'images' },
  // The training objective (issue 13): diffusion's forward process, or flow matching's straight path
  // x_s = (1 − s) x₀ + s ε, whose network predicts the velocity ε − x₀ (core/diffusion/flow.hpp), with
  // diffusers' shift of the levels. Each keeps its own settings while the other is chosen: a flow run
  // reads no prediction, a diffusion run no shift (web/bindings/settings.cpp).
  { name: 'objective', type: 'enum', ...core('objective'), values: ['diffusion', 'flow'], effect: reset,
    label: 'Objective', names: { diffusion: 'diffusion', flow: 'flow' }, testid: 'objective' },
  { name: 'shift', type: 'number', ...core('shift'), choices: [0.5, 1, 2, 3, 5], effect: reset,
    label: 'Flow shift', testid: 'shift' },
  { name: 'prediction', type: 'enum', ...core('prediction'), values: ['eps', 'x0', 'v'], effect: reset,
    label: 'Predicts', names: { eps: 'ε (noise)', x0: 'x₀ (data)', v: 'v' } },
  { name: 'activation', type: 'enum', ...core('activation'), values: ['silu', 'relu', 'gelu'], effect: reset,
    label: 'Activation', advanced: true, only: 'points' },
  { name: 'timeEmbed', type: 'int', ...core('timeEmbed'), choices: [8, 16, 32, 64, 128],
    effect: reset, label: 'Time embedding', advanced: true, only: 'points' },
  { name: 'residual', type: 'bool', ...core('residual'), effect: reset, label: 'Residual + LayerNorm', advanced: true,
    only: 'points' },
  // class conditioning (classifier-free guidance): labels from the data set's components
  { name: 'conditional', type: 'bool', default: false, imageDefault: true, effect: reset, label: 'Class-conditional',
    testid: 'conditional' },
  { name: 'labelDropout', type: 'number', ...core('labelDropout'), choices: [0, 0.05, 0.1, 0.2, 0.3],
    effect: live, label: 'Label dropout', advanced: true },
  // training
  { name: 'lr', type: 'number', ...core('lr'), imageDefault: 2e-3, choices: [1e-4, 3e-4, 1e-3, 2e-3, 3e-3, 1e-2],
    effect: live, label: 'Learning rate' },
  { name: 'batch', type: 'int', ...core('batch'), imageDefault: 64, choices: [16, 32, 64, 128, 256, 512, 1024, 4096],
    effect: live, label: 'Batch' },
  { name: 'steps', type: 'int', ...core('steps'), imageDefault: 2000,
    choices: [500, 1000, 2000, 3000, 5000, 10000, 20000, 50000], effect: live, label: 'Training steps' },
  { name: 'lossWeighting', type: 'enum', ...core('lossWeighting'), values: ['none', 'min_snr'], effect: live,
    label: 'Loss weighting', names: { none: 'none', min_snr: 'min-SNR (γ = 5)' } },
  { name: 'lrSchedule', type: 'enum', ...core('lrSchedule'), values: ['cosine', 'constant'], effect: live,
    label: 'LR schedule', advanced: true },
  { name: 'warmup', type: 'int', ...core('warmup'), choices: [0, 100, 500, 1000],
    effect: live, label: 'Warm-up steps', advanced: true },
  { name: 'emaDecay', type: 'number', ...core('emaDecay'), choices: [0.99, 0.995, 0.999, 0.9999],
    effect: live, label: 'EMA decay', advanced: true },
  { name: 'gradClip', type: 'number', ...core('gradClip'), choices: [0, 0.5, 1, 5],
    effect: live, label: 'Gradient clip', advanced: true },
  { name: 'seed', type: 'int', ...core('seed'), min: 0, max: 2 ** 31 - 1, effect: reset, label: 'Seed' },
  // sampling
  // The page's one departure from the CLI's defaults: it samples with DDIM (50 steps) rather than
  // DDPM's 1000, twenty times fewer model evaluations, so that Sample answers in seconds.
  // Images: DDPM with 50 steps, as cheap as DDIM's 50 and better early in training (a page digits
  // run at step 500, `diffuse eval --guidance 2`: class agreement 1.00 and Fréchet distance 52
  // against DDIM's 0.85 and 88; docs/images.md "In the page").
  // The samplers and their names are the core's (samplers.js).
  { name: 'sampler', type: 'enum', default: 'ddim', imageDefault: 'ddpm', values: [...SAMPLER_NAMES], effect: sample,
    label: 'Sampler', names: Object.fromEntries(SAMPLER_NAMES.map((n) => [n, displayName(n)])), testid: 'sampler' },
  // Steps, not model calls: Heun's K steps are 2K - 1 calls (main.js says so beside the control).
  { name: 'samplerSteps', type: 'int', ...core('samplerSteps'), imageDefault: 50, choices: [0, 5, 10, 20, 50, 100, 250, 1000],
    effect: sample, label: 'Sampling steps', names: { 0: 'default' }, testid: 'sampler-steps' },
  // Karras et al.'s sigmas (diffusers' use_karras_sigmas), where the sampler offers them.
  { name: 'karras', type: 'bool', ...core('karras'), effect: sample, label: 'Karras sigmas', testid: 'karras' },
  { name: 'eta', type: 'number', ...core('eta'), choices: [0, 0.25, 0.5, 1], effect: sample,
    label: 'DDIM η' },
  { name: 'sampleN', type: 'int', default: 2000, min: 2, max: 20000, choices: [500, 1000, 2000, 5000, 10000],
    effect: sample, label: 'Points', only: 'points' },
  // Images cost a U-Net evaluation each per step: the page draws a grid's worth.
  { name: 'imageN', type: 'int', default: 100, min: 1, max: 1000, choices: [10, 20, 50, 100, 200, 500],
    effect: sample, label: 'Images', only: 'images', testid: 'image-n' },
  { name: 'sampleSeed', type: 'int', default: 0, min: 0, max: 2 ** 31 - 1, effect: sample, label: 'Sampling seed' },
  // A conditional model's class for sampling ('all': sample i has class i mod K), and diffusers'
  // guidance scale w (1: conditional, 0: unconditional, > 1: stronger). The class control lists
  // the model's classes once a conditional run exists (main.js).
  { name: 'classLabel', type: 'class', default: 'all', effect: sample, label: 'Class', testid: 'class' },
  { name: 'guidance', type: 'number', ...core('guidance'), imageDefault: 2, step: 0.25, effect: sample,
    label: 'Guidance w', control: 'range', testid: 'guidance' },
  { name: 'weights', type: 'enum', default: 'ema', values: ['ema', 'raw'], effect: sample, label: 'Weights',
    names: { ema: 'EMA', raw: 'raw' } },
  // The core has no one default spacing (its spec's default is null): each sampler has its own
  // (trailing for DDPM and DDIM, diffusers' linspace for the others), which the page calls 'default'.
  { name: 'spacing', type: 'enum', default: core('spacing').default ?? SPACING_DEFAULT,
    values: [SPACING_DEFAULT, ...core('spacing').values], effect: sample, label: 'Step spacing', advanced: true,
    names: { [SPACING_DEFAULT]: 'default' }, testid: 'spacing' },
  { name: 'variance', type: 'enum', ...core('variance'), values: ['fixed_small', 'fixed_large'],
    effect: sample, label: 'DDPM variance', advanced: true, names: { fixed_small: 'β̃_t (small)', fixed_large: 'β_t (large)' } },
  { name: 'metric', type: 'enum', default: 'energy', values: ['energy', 'mmd'], effect: sample,
    label: 'Quality metric', names: { energy: 'energy distance', mmd: 'MMD² (RBF)' }, only: 'points' },
  { name: 'qualityN', type: 'int', default: 400, min: 20, max: 5000, choices: [100, 200, 400, 1000], effect: sample,
    label: 'Points', only: 'points' },
  { name: 'elboN', type: 'int', default: 128, min: 2, max: 5000, choices: [32, 128, 512, 2000], effect: sample,
    label: 'Examples' },
  // views
  { name: 'forwardT', type: 'int', default: 100, min: 0, max: 3999, effect: view, label: 't', control: 'range' },
  { name: 'fieldT', type: 'int', default: 100, min: 0, max: 3999, effect: view, label: 't', control: 'range' },
  { name: 'frameSpace', type: 'enum', default: 'xt', values: ['xt', 'x0'], effect: view, label: 'Show',
    names: { xt: 'x_t', x0: 'x̂₀' } },
];

// Without a prototype, so that a name from a link or a file ("__proto__", "hasOwnProperty") is
// unknown rather than something every object inherits.
export const byName = Object.assign(Object.create(null), Object.fromEntries(SETTINGS.map((s) => [s.name, s])));

// The value of `text` (from the URL or a control) for a declaration, or undefined if invalid.
export function parseValue(decl, text) {
  const raw = String(text).trim();
  switch (decl.type) {
    case 'enum': return decl.values.includes(raw) ? raw : undefined;
    case 'bool': return raw === 'true' || raw === '1' ? true : raw === 'false' || raw === '0' ? false : undefined;
    case 'class': return raw === 'all' ? raw : /^\d+$/.test(raw) && Number(raw) < 1000 ? Number(raw) : undefined;
    case 'int': case 'number': {
      if (raw === '') return undefined;
      const x = Number(raw);
      if (!Number.isFinite(x) || (decl.type === 'int' && !Number.isInteger(x))) return undefined;
      const below = decl.minOpen ? x <= decl.min : x < decl.min;
      const above = decl.maxOpen ? x >= decl.max : x > decl.max;
      return below || above ? undefined : x;
    }
    default: return undefined;
  }
}

// What a setting allows, for a message: "one of linear, cosine", "an integer in [1, 1024]", "a
// number in (0, ∞)".
export function allowedText(decl) {
  switch (decl.type) {
    case 'enum': return `one of ${decl.values.join(', ')}`;
    case 'bool': return 'true or false';
    case 'class': return 'all or a class 0, 1, …';
    default: {
      const lo = decl.min === undefined ? '(−∞' : `${decl.minOpen ? '(' : '['}${decl.min}`;
      const hi = decl.max === undefined ? '∞)' : `${decl.max}${decl.maxOpen ? ')' : ']'}`;
      return `${decl.type === 'int' ? 'an integer' : 'a number'} in ${lo}, ${hi}`;
    }
  }
}

export function formatValue(decl, value) {
  return decl.type === 'bool' ? (value ? 'true' : 'false') : String(value);
}

// A setting's default for a kind of data ('points' or 'images').
export function defaultOf(decl, kind = 'points') {
  return kind === 'images' && 'imageDefault' in decl ? decl.imageDefault : decl.default;
}

export function defaults(kind = 'points') {
  return Object.fromEntries(SETTINGS.map((s) => [s.name, defaultOf(s, kind)]));
}

// Whether a setting means anything for a kind of data (the MLP's width does not for images).
export const appliesTo = (decl, kind) => !decl.only || decl.only === kind;

// Settings moved from one kind of data to another: every setting still at the old kind's default
// takes the new kind's (a choice the user made stays).
export function switchKind(values, from, to) {
  if (from === to) return values;
  const out = { ...values };
  for (const decl of SETTINGS) {
    if (decl.name !== 'dataset' && out[decl.name] === defaultOf(decl, from)) out[decl.name] = defaultOf(decl, to);
  }
  return out;
}

// Settings from a URL hash ("#dataset=circles&hidden=64"): the defaults (of the kind of data the
// hash names) overridden by every valid entry; `problems` lists the entries that were ignored and why.
export function fromHash(hash) {
  const params = new URLSearchParams(String(hash).replace(/^#/, ''));
  const named = parseValue(byName.dataset, params.get('dataset') ?? '');
  const values = defaults(kindOf(named ?? byName.dataset.default));
  const problems = [];
  for (const [name, text] of params) {
    const decl = byName[name];
    if (!decl) { problems.push(`unknown setting "${name}"`); continue; }
    const value = parseValue(decl, text);
    if (value === undefined) problems.push(`${name} = "${text}" is not allowed (${allowedText(decl)})`);
    else values[name] = value;
  }
  if (values.dataset === CUSTOM_DATASET) {
    values.dataset = byName.dataset.default;
    problems.push('custom data cannot travel in a link');
  }
  // Settings that are valid alone but not together (Karras sigmas with a sampler that has none, a
  // diffusion sampler with the flow objective) roll back; those the link named say so.
  const made = consistent(values, new Set(params.keys()));
  return { values: made.values, problems: [...problems, ...made.problems] };
}

// Settings made consistent: with the flow objective, a sampler of flow models (Euler unless Heun),
// no Karras sigmas or spacing (its samplers step on the model's own shifted levels), and none of
// the diffusion loss's weighting or zero terminal SNR (the core refuses them for flow:
// train_setup_validate); then samplerConsistent. Returns { values, problems }: a problem for each
// rolled-back setting in `named` (all when null) saying what applies instead.
export function consistent(values, named = null) {
  const out = { ...values };
  const problems = [];
  const rollBack = (name, value, why) => {
    if (out[name] === value) return;
    if (!named || named.has(name)) problems.push(`${name} = ${formatValue(byName[name], out[name])} ${why}`);
    out[name] = value;
  };
  if (out.objective === 'flow') {
    const flowSamplers = samplersFor('flow').join(', ');
    if (!takesFlow(out.sampler)) {
      rollBack('sampler', FLOW_SAMPLER, `does not apply to the flow objective (its samplers: ${flowSamplers})`);
    }
    const levels = 'does not apply to the flow objective (its samplers step on the model\'s own shifted levels)';
    rollBack('karras', false, levels);
    rollBack('spacing', SPACING_DEFAULT, levels);
    rollBack('lossWeighting', 'none', 'does not apply to the flow objective (its loss is the plain velocity MSE)');
    rollBack('zeroSnr', false, 'does not apply to the flow objective (it has no noise schedule)');
  }
  const sampler = samplerConsistent(out);
  const samplerProblems = sampler.problems.filter(() => !named || named.has('karras'));
  return { values: sampler.values, problems: [...problems, ...samplerProblems] };
}

// The hash for these settings: only those that apply to the data's kind and differ from its
// defaults, in declaration order.
export function toHash(values) {
  const params = new URLSearchParams();
  const kind = kindOf(values.dataset);
  for (const decl of SETTINGS) {
    if (!appliesTo(decl, kind)) continue;
    const value = values[decl.name];
    if (value !== undefined && value !== defaultOf(decl, kind)) params.set(decl.name, formatValue(decl, value));
  }
  const text = params.toString();
  return text ? `#${text}` : '';
}

// The names whose values differ between two settings objects, grouped by effect.
export function changes(before, after) {
  const out = { reset: [], live: [], sample: [], view: [] };
  for (const decl of SETTINGS) {
    if (before[decl.name] !== after[decl.name]) out[decl.effect].push(decl.name);
  }
  return out;
}

// The settings (and nothing else) from an object such as a checkpoint's configuration: the known
// names with valid values; the rest is reported.
export function adopt(values, incoming) {
  const out = { ...values };
  const problems = [];
  for (const [name, value] of Object.entries(incoming)) {
    const decl = byName[name];
    if (!decl) continue;
    const parsed = parseValue(decl, formatValue(decl, value));
    if (parsed === undefined) problems.push(`${name} = ${value} is outside what the page offers`);
    else out[name] = parsed;
  }
  return { values: out, problems };
}
