// Sample quality against the number of sampling steps, for DDPM and DDIM: update({ point:
// { sampler, steps, value } }) adds one measurement. Both axes logarithmic; values at or below
// zero (the unbiased estimates can dip below 0 when samples match the data) sit on the floor.
import { Plot } from './plot.js';
import { theme } from './theme.js';
import { chartFrame, drawAxes, linearScale, logScale } from './axes.js';

const FLOOR = 1e-4;

// The metrics: energy distance and MMD² of points (log scale), and of images the classifier's class
// agreement (a fraction, linear 0..1) and the Fréchet distance in its features (log scale, with
// the held-out images' own score as a dashed baseline: what real images reach at the same n).
const LABELS = { energy: 'energy distance D² (log)', mmd: 'MMD² (log)', agreement: 'class agreement',
  frechet: 'Fréchet distance (log)' };

export class QualityChart extends Plot {
  empty() { return { points: [], metric: 'energy', baseline: null }; }

  update({ point, metric, baseline }) {
    if (metric) this.data.metric = metric;
    if (baseline !== undefined) this.data.baseline = baseline;
    if (point) this.data.points.push(point);
    this.redraw();
  }

  draw(ctx, width, height) {
    const { points, metric, baseline } = this.data;
    const frame = chartFrame(width, height, { left: 44, right: 16 });
    const values = points.map((p) => Math.max(p.value, FLOOR)).concat(baseline ? [baseline] : []);
    const hi = values.length ? Math.max(...values) * 1.5 : 1;
    const lo = values.length ? Math.min(...values) / 1.5 : FLOOR;
    const steps = points.map((p) => p.steps);
    const x = logScale(Math.min(5, ...steps), Math.max(metric === 'agreement' || metric === 'frechet' ? 100 : 1000, ...steps),
      frame.left, frame.right);
    const y = metric === 'agreement' ? linearScale(0, 1, frame.bottom, frame.top)
      : logScale(Math.min(lo, hi / 10), hi, frame.bottom, frame.top);
    drawAxes(ctx, frame, x, y, { xLabel: 'sampling steps', yLabel: LABELS[metric] ?? metric,
      xTicks: [5, 10, 20, 50, 100, 200, 500, 1000].filter((k) => k >= x.domain[0] && k <= x.domain[1]),
      ...(metric === 'agreement' ? { yTicks: [0, 0.25, 0.5, 0.75, 1] } : {}) });
    if (!points.length) return this.placeholder(ctx, width, height, 'press Measure');
    ctx.save();
    if (baseline) {
      ctx.strokeStyle = theme.muted;
      ctx.setLineDash([4, 4]);
      ctx.beginPath();
      ctx.moveTo(frame.left, y(baseline));
      ctx.lineTo(frame.right, y(baseline));
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = theme.muted;
      ctx.textAlign = 'left';
      ctx.textBaseline = 'bottom';
      ctx.fillText('held-out images', frame.left + 4, y(baseline) - 2);
    }
    ctx.beginPath();
    ctx.rect(frame.left, frame.top, frame.width, frame.height);
    ctx.clip();
    for (const [sampler, color] of [['ddpm', theme.ddpm], ['ddim', theme.ddim]]) {
      const mine = points.filter((p) => p.sampler === sampler).sort((a, b) => a.steps - b.steps);
      if (!mine.length) continue;
      ctx.strokeStyle = color;
      ctx.fillStyle = color;
      ctx.lineWidth = 2;
      ctx.beginPath();
      mine.forEach((p, i) => {
        const px = x(p.steps), py = y(Math.max(p.value, FLOOR));
        if (i) ctx.lineTo(px, py); else ctx.moveTo(px, py);
      });
      ctx.stroke();
      for (const p of mine) {
        ctx.beginPath();
        ctx.arc(x(p.steps), y(Math.max(p.value, FLOOR)), 3, 0, 2 * Math.PI);
        ctx.fill();
      }
    }
    this.legend(ctx, frame);
  }

  legend(ctx, frame) {
    ctx.restore();
    ctx.textAlign = 'left';
    ctx.textBaseline = 'middle';
    [['DDPM', theme.ddpm], ['DDIM (η = 0)', theme.ddim]].forEach(([name, color], i) => {
      const x = frame.right - 96, y = frame.top + 10 + 16 * i;
      ctx.fillStyle = color;
      ctx.fillRect(x, y - 1.5, 14, 3);
      ctx.fillStyle = theme.text;
      ctx.fillText(name, x + 20, y);
    });
  }
}
