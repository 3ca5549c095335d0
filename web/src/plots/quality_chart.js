// Sample quality against the number of sampling steps, for DDPM and DDIM: update({ point:
// { sampler, steps, value } }) adds one measurement. Both axes logarithmic; values at or below
// zero (the unbiased estimates can dip below 0 when samples match the data) sit on the floor.
import { Plot } from './plot.js';
import { theme } from './theme.js';
import { chartFrame, drawAxes, logScale } from './axes.js';

const FLOOR = 1e-4;

export class QualityChart extends Plot {
  empty() { return { points: [], metric: 'energy' }; }

  update({ point, metric }) {
    if (metric) this.data.metric = metric;
    if (point) this.data.points.push(point);
    this.redraw();
  }

  draw(ctx, width, height) {
    const { points, metric } = this.data;
    const frame = chartFrame(width, height, { left: 44, right: 16 });
    const values = points.map((p) => Math.max(p.value, FLOOR));
    const hi = values.length ? Math.max(...values) * 1.5 : 1;
    const lo = values.length ? Math.min(...values) / 1.5 : FLOOR;
    const steps = points.map((p) => p.steps);
    const x = logScale(Math.min(5, ...steps), Math.max(1000, ...steps), frame.left, frame.right);
    const y = logScale(Math.min(lo, hi / 10), hi, frame.bottom, frame.top);
    drawAxes(ctx, frame, x, y, { xLabel: 'sampling steps', yLabel: metric === 'mmd' ? 'MMD² (log)' : 'energy distance D² (log)',
      xTicks: [5, 10, 20, 50, 100, 200, 500, 1000].filter((k) => k >= x.domain[0] && k <= x.domain[1]) });
    if (!points.length) return this.placeholder(ctx, width, height, 'press Measure');
    ctx.save();
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
