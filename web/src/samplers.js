// The core's samplers as the page offers them. What each sampler is (its display name, whether it
// offers Karras sigmas, its default spacing and number of steps) comes from the core through
// core_settings.js (settingsSpec() in web/bindings/settings.cpp: sampler_config.hpp's
// sampler_display_name, sampler_offers_karras, sampler_default_spacing), never written here.
// Here: the bindings' options for page settings, the steps and model calls a run makes, and the
// words that describe it in captions.
import { CORE_SETTINGS } from './core_settings.js';

const spec = CORE_SETTINGS.sampler;
if (!spec?.samplers) throw new Error('core_settings.js has no samplers: rebuild (scripts/build.sh)');

// 'ddpm', 'ddim', 'euler', ... in the core's order.
export const SAMPLER_NAMES = Object.freeze([...spec.values]);

// 'DPM-Solver++ 2M' for 'dpmpp_2m'.
export const displayName = (sampler) => spec.samplers[sampler]?.name ?? sampler;
// Whether diffusers' scheduler of that name offers use_karras_sigmas.
export const offersKarras = (sampler) => spec.samplers[sampler]?.karras === true;
// Whether a run draws noise after x_T (DDPM, Euler ancestral, DPM-Solver++ 2M SDE; DDIM with η > 0).
export const isStochastic = (sampler, eta = 0) => spec.samplers[sampler]?.stochastic === true ||
  (sampler === 'ddim' && eta > 0);
// The spacing a sampler uses when the page's spacing is 'default'.
export const defaultSpacing = (sampler) => spec.samplers[sampler]?.spacing;
// Whether it samples a flow-matching model (euler and heun: FlowMatchEuler/HeunDiscreteScheduler).
export const takesFlow = (sampler) => spec.samplers[sampler]?.flow === true;
// The samplers of an objective's models ('diffusion': all; 'flow': those that take flow).
export const samplersFor = (objective) => (objective === 'flow' ? SAMPLER_NAMES.filter(takesFlow) : SAMPLER_NAMES);
// A flow model's sampler when the page's is not one of its own: Euler, the CLI's default for flow.
export const FLOW_SAMPLER = 'euler';

// The page's spacing setting: 'default' (the sampler's own) or a spacing the core names.
export const SPACING_DEFAULT = 'default';

// Model calls of K steps: Heun evaluates the model twice a step but once on the first
// (HeunDiscreteScheduler: 2K - 1); every other sampler once a step.
export const modelCalls = (sampler, K) => (sampler === 'heun' ? 2 * K - 1 : K);
// The most steps whose calls fit a budget of model calls (0 if none).
export const stepsWithin = (sampler, budget) => (sampler === 'heun' ? Math.floor((budget + 1) / 2) : budget);

// The steps K a run makes: samplerSteps, or for 0 the sampler's default (all T for DDPM).
export function samplerSteps(settings) {
  if (settings.samplerSteps > 0) return Math.min(settings.samplerSteps, settings.timesteps);
  const fallback = spec.samplers[settings.sampler]?.steps ?? 0;
  return fallback > 0 ? Math.min(fallback, settings.timesteps) : settings.timesteps;
}

// The bindings' sampler options for page settings: the sampler's own options only (eta is DDIM's,
// the variance DDPM's, Karras sigmas where offered; the bindings refuse the others), and no spacing
// for 'default'. `overrides` ({ sampler, samplerSteps, eta, ... }) replace settings first.
// A flow model's samplers take neither (they step on the model's own shifted levels).
export function samplerOptions(settings, overrides = {}) {
  const s = { ...settings, ...overrides };
  const out = { sampler: s.sampler, samplerSteps: s.samplerSteps };
  const flow = s.objective === 'flow';
  if (!flow && s.spacing !== undefined && s.spacing !== SPACING_DEFAULT) out.spacing = s.spacing;
  if (!flow && offersKarras(s.sampler)) out.karras = Boolean(s.karras);
  if (s.sampler === 'ddim') out.eta = s.eta;
  if (s.sampler === 'ddpm') out.variance = s.variance;
  return out;
}

// Settings a sampler cannot take, made consistent: Karras sigmas off where not offered. Returns
// { values, problems } (the problems name what was turned off and why).
export function samplerConsistent(values) {
  if (!values.karras || offersKarras(values.sampler)) return { values, problems: [] };
  const offered = SAMPLER_NAMES.filter(offersKarras).join(', ');
  return { values: { ...values, karras: false },
    problems: [`karras = true does not apply to sampler ${values.sampler} (Karras sigmas: ${offered})`] };
}

// "DPM-Solver++ 2M, 20 linspace steps, Karras sigmas" (Heun adds its model calls; DDIM its η): a
// run as the bindings made it ({ steps, spacing, stepsTotal } of model.sampler()).
export function samplerDescription(settings, { steps, spacing, stepsTotal }) {
  const s = settings;
  if (s.objective === 'flow') {
    const calls = stepsTotal !== steps ? ` (${stepsTotal} model calls)` : '';
    return `${displayName(s.sampler)}, ${steps} steps${calls}, flow matching (shift ${s.shift})`;
  }
  let text = `${displayName(s.sampler)}, ${steps}${steps < s.timesteps ? ` ${spacing}` : ''} steps`;
  if (stepsTotal !== steps) text += ` (${stepsTotal} model calls)`;
  if (s.sampler === 'ddim') text += `, η = ${s.eta}`;
  if (s.sampler === 'ddpm') text += `, ${s.variance === 'fixed_large' ? 'β_t' : 'β̃_t'} variance`;
  if (s.karras && offersKarras(s.sampler)) text += ', Karras sigmas';
  return text;
}
