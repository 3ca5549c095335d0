// Sample quality against the number of model calls, one line per sampler with a legend:
// update({ point: { sampler, steps, calls, value } }) adds one measurement, update({ budgets })
// sets the calls the x axis spans, update({ baseline }) the data-vs-data score (dashed: what a
// perfect model scores at the same n). Both axes logarithmic but for class agreement (a fraction);
// values at or below zero (the unbiased estimates can dip below 0 when samples match the data) sit
// on the floor. Stochastic samplers are dashed lines. update({ comparison: { objective, points } })
// adds another model's measurement (the other objective's, on the same data) as faint lines, so that
// a flow model's Euler stands beside a diffusion model's samplers at the same model calls.
import { Plot } from './plot.js';
import { theme } from './theme.js';
import { chartFrame, drawAxes, formatNumber, linearScale, logScale } from './axes.js';
import { SAMPLER_NAMES, displayName, isStochastic } from '../samplers.js';

const FLOOR = 1e-4;
const DASH = [5, 3];

// The metrics: energy distance and MMD² of points (log scale), and of images the classifier's class
// agreement (a fraction, linear 0..1) and the Fréchet distance in its features (log scale).
const LABELS = { energy: 'energy distance D² (log)', mmd: 'MMD² (log)', agreement: 'class agreement',
  frechet: 'Fréchet distance (log)' };
const BASELINE_LABELS = { energy: 'data vs data (rms)', mmd: 'data vs data (rms)', frechet: 'held-out images' };

export class QualityChart extends Plot {
  empty() { return { points: [], metric: 'energy', baseline: null, budgets: [5, 10, 20, 50, 100], comparison: null }; }

  update({ point, metric, baseline, budgets, comparison }) {
    if (comparison !== undefined) this.data.comparison = comparison;
    if (metric) this.data.metric = metric;
    if (baseline !== undefined) this.data.baseline = baseline;
    if (budgets) this.data.budgets = budgets;
    if (point) this.data.points.push(point);
    this.redraw();
  }

  draw(ctx, width, height) {
    const { points, metric, baseline, budgets, comparison } = this.data;
    const others = comparison?.points ?? [];
    const legendWidth = Math.max(...SAMPLER_NAMES.map((n) => ctx.measureText(displayName(n)).width)) + 44;
    const frame = chartFrame(width, height, { left: 44, right: 12 + legendWidth });
    const values = [...points, ...others].map((p) => Math.max(p.value, FLOOR)).concat(baseline > 0 ? [baseline] : []);
    const hi = values.length ? Math.max(...values) * 1.5 : 1;
    const lo = values.length ? Math.min(...values) / 1.5 : FLOOR;
    const calls = [...points, ...others].map((p) => p.calls);
    const x = logScale(Math.min(...budgets, ...calls), Math.max(...budgets, ...calls), frame.left, frame.right);
    const y = metric === 'agreement' ? linearScale(0, 1, frame.bottom, frame.top)
      : logScale(Math.min(lo, hi / 10), hi, frame.bottom, frame.top);
    drawAxes(ctx, frame, x, y, { xLabel: 'model calls', yLabel: LABELS[metric] ?? metric, xTicks: budgets,
      ...(metric === 'agreement' ? { yTicks: [0, 0.25, 0.5, 0.75, 1] } : {}) });
    this.legend(ctx, frame);
    if (!points.length) return this.placeholder(ctx, width - legendWidth, height, 'press Measure');
    const showBaseline = baseline !== null && metric !== 'agreement';
    const baselineY = showBaseline ? this.baselineLine(ctx, frame, y, baseline) : null;
    ctx.save();
    ctx.beginPath();
    ctx.rect(frame.left - 4, frame.top - 4, frame.width + 8, frame.height + 8);
    ctx.clip();
    const at = (p) => [x(p.calls), y(metric === 'agreement' ? p.value : Math.max(p.value, FLOOR))];
    ctx.globalAlpha = 0.3;
    this.lines(ctx, others, at, 1.2);
    ctx.globalAlpha = 1;
    this.lines(ctx, points, at, 1.8);
    ctx.restore();
    if (showBaseline) this.baselineLabel(ctx, frame, baselineY, baseline, metric);
    if (others.length) this.comparisonLabel(ctx, frame, comparison.objective);
  }

  // One line per sampler through its points, with a dot at each.
  lines(ctx, points, at, lineWidth) {
    for (const sampler of SAMPLER_NAMES) {
      const mine = points.filter((p) => p.sampler === sampler).sort((a, b) => a.calls - b.calls);
      if (!mine.length) continue;
      const color = theme.samplers[sampler] ?? theme.text;
      ctx.strokeStyle = color;
      ctx.fillStyle = color;
      ctx.lineWidth = lineWidth;
      ctx.setLineDash(isStochastic(sampler) ? DASH : []);
      ctx.beginPath();
      mine.forEach((p, i) => (i ? ctx.lineTo(...at(p)) : ctx.moveTo(...at(p))));
      ctx.stroke();
      ctx.setLineDash([]);
      for (const p of mine) {
        ctx.beginPath();
        ctx.arc(...at(p), lineWidth + 0.8, 0, 2 * Math.PI);
        ctx.fill();
      }
    }
  }

  // Says what the faint lines are, at the frame's top right.
  comparisonLabel(ctx, frame, objective) {
    const text = `faint: the last ${objective === 'flow' ? 'flow-matching' : 'diffusion'} model's`;
    ctx.save();
    ctx.fillStyle = theme.muted;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'top';
    ctx.fillText(text, frame.right - 4, frame.top + 2);
    ctx.restore();
  }

  // The data-vs-data score, dotted; an estimate at or below zero has no place on a log axis: it is
  // drawn on the frame's floor. Returns the line's height.
  baselineLine(ctx, frame, y, baseline) {
    const py = baseline > 0 ? Math.min(frame.bottom - 1, y(baseline)) : frame.bottom - 1;
    ctx.save();
    ctx.strokeStyle = theme.muted;
    ctx.lineWidth = 1;
    ctx.setLineDash([2, 3]);
    ctx.beginPath();
    ctx.moveTo(frame.left, py);
    ctx.lineTo(frame.right, py);
    ctx.stroke();
    ctx.restore();
    return py;
  }

  // Its value, on a light backing above the lines (below the line when that leaves more room).
  baselineLabel(ctx, frame, py, baseline, metric) {
    const name = BASELINE_LABELS[metric] ?? 'baseline';
    const text = `${name}: ${formatNumber(baseline)}${baseline > 0 ? '' : ' (≤ 0: on the floor)'}`;
    const w = ctx.measureText(text).width + 6, h = 13;
    const top = py - h - 1 >= frame.top ? py - h - 1 : py + 1;
    ctx.save();
    ctx.fillStyle = 'rgba(255, 255, 255, 0.85)';
    ctx.fillRect(frame.left + 2, top, w, h);
    ctx.fillStyle = theme.muted;
    ctx.textAlign = 'left';
    ctx.textBaseline = 'middle';
    ctx.fillText(text, frame.left + 5, top + h / 2 + 0.5);
    ctx.restore();
  }

  legend(ctx, frame) {
    ctx.save();
    ctx.textAlign = 'left';
    ctx.textBaseline = 'middle';
    ctx.lineWidth = 2;
    SAMPLER_NAMES.forEach((sampler, i) => {
      const x = frame.right + 14, y = frame.top + 6 + 15 * i;
      const color = theme.samplers[sampler] ?? theme.text;
      ctx.strokeStyle = color;
      ctx.setLineDash(isStochastic(sampler) ? [4, 3] : []);
      ctx.beginPath();
      ctx.moveTo(x, y);
      ctx.lineTo(x + 18, y);
      ctx.stroke();
      ctx.fillStyle = theme.text;
      ctx.fillText(displayName(sampler), x + 23, y);
    });
    ctx.restore();
  }
}
