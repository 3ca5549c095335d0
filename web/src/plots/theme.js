// Colours and type shared by every plot (the CSS uses the same palette).
export const theme = Object.freeze({
  font: '11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
  text: '#2b2f36',
  muted: '#8a8f98',
  grid: '#eeece8',
  axis: '#c9c5bd',
  data: 'rgba(150, 140, 125, 0.45)',   // the training data, always in the background
  sample: '#2f62d9',                    // model samples
  sampleAlt: '#0f8f7f',                 // EMA samples
  noise: '#e0772f',                     // x_t of the forward process
  predicted: '#8b4fd8',                 // x0_hat
  lossRaw: 'rgba(47, 98, 217, 0.22)',
  loss: '#2f62d9',
  // one colour per sampler (the quality chart's lines)
  samplers: Object.freeze({ ddpm: '#2f62d9', ddim: '#e0772f', euler: '#0f8f7f', euler_a: '#7a8a10', heun: '#8b4fd8',
    dpmpp_2m: '#c2366a', dpmpp_2m_sde: '#d1a400', unipc: '#5b6577' }),
});

// n evenly spaced colours from light to deep blue, for densities.
export function blues(value) {
  const v = Math.max(0, Math.min(1, value));
  const r = Math.round(255 - v * (255 - 24)), g = Math.round(255 - v * (255 - 62)), b = Math.round(255 - v * (255 - 160));
  return [r, g, b];
}

// Class colours (a categorical palette, repeating after ten classes), for labeled samples.
const CLASS_COLORS = ['#2f62d9', '#e0772f', '#0f8f7f', '#c2366a', '#8b4fd8', '#7a8a10', '#d1a400', '#5b6577',
  '#1f9bd1', '#a0522d'];
export function classColor(k) {
  return CLASS_COLORS[((k % CLASS_COLORS.length) + CLASS_COLORS.length) % CLASS_COLORS.length];
}
