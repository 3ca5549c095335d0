// The negative ELBO's three terms (seed 004 eq. 8-10) as horizontal bars, in nats per example in the
// normalized space: reconstruction L_0 = -log p(x_0 | x_1), prior matching L_T = KL(q(x_T | x_0) ||
// N(0, I)) and denoising matching sum_t L_t. L_0 can be negative (a density, not a probability).
import { Plot } from './plot.js';
import { theme } from './theme.js';
import { formatNumber } from './axes.js';

export class ElboTerms extends Plot {
  empty() { return { result: null }; }

  draw(ctx, width, height) {
    const { result } = this.data;
    if (!result) return this.placeholder(ctx, width, height, 'press Evaluate');
    const rows = [
      ['L₀ reconstruction', result.decoder, theme.predicted],
      ['L_T prior matching', result.prior, theme.noise],
      ['Σ L_t denoising matching', result.diffusion, theme.sample],
      ['−ELBO (total)', result.nllNats, theme.text],
    ];
    this.canvas.setAttribute('aria-label', rows.map(([n, v]) => `${n}: ${v.toFixed(4)} nats`).join('; '));
    // Each term: its name on one line, its bar (from 0) and value on the next.
    const left = 8, right = width - 64;
    const lo = Math.min(0, ...rows.map((r) => r[1])), hi = Math.max(0, ...rows.map((r) => r[1]));
    const scale = (v) => left + ((v - lo) / (hi - lo || 1)) * (right - left);
    const rowHeight = Math.min(48, (height - 4) / rows.length);
    const bar = Math.min(14, rowHeight * 0.32);
    rows.forEach(([name, value, color], i) => {
      const top = 2 + i * rowHeight;
      ctx.fillStyle = theme.text;
      ctx.textAlign = 'left';
      ctx.textBaseline = 'top';
      ctx.fillText(name, left, top + 2);
      const y = top + rowHeight * 0.62;
      ctx.fillStyle = color;
      const x0 = scale(Math.min(0, value)), x1 = scale(Math.max(0, value));
      ctx.fillRect(x0, y - bar / 2, Math.max(1, x1 - x0), bar);
      ctx.fillStyle = theme.text;
      ctx.textBaseline = 'middle';
      ctx.fillText(formatNumber(value), Math.max(x1, scale(0)) + 6, y);
    });
    ctx.strokeStyle = theme.axis;
    ctx.beginPath();
    ctx.moveTo(Math.round(scale(0)) + 0.5, 2);
    ctx.lineTo(Math.round(scale(0)) + 0.5, height - 2);
    ctx.stroke();
  }
}
