// Bars over ranges of the timestep t: update({ starts, values }) with bar k covering
// [starts[k], starts[k + 1]); NaN values leave a gap. Linear or log y.
import { Plot } from './plot.js';
import { theme } from './theme.js';
import { chartFrame, drawAxes, linearScale, logScale } from './axes.js';

export class BarChart extends Plot {
  constructor(canvas, { label, color = theme.sample, log = false, xLabel = 't', yLabel = '', empty = '' } = {}) {
    super(canvas, { label });
    Object.assign(this, { color, log, xLabel, yLabel, emptyText: empty });
    this.redraw();
  }

  empty() { return { starts: null, values: null, highlight: null }; }

  draw(ctx, width, height) {
    const { starts, values, highlight } = this.data;
    const frame = chartFrame(width, height, { left: 44 });
    const finite = values ? Array.from(values).filter((v) => Number.isFinite(v) && (!this.log || v > 0)) : [];
    if (!finite.length) {
      drawAxes(ctx, frame, linearScale(0, 1000, frame.left, frame.right), linearScale(0, 1, frame.bottom, frame.top),
        { xLabel: this.xLabel, yLabel: this.yLabel });
      return this.placeholder(ctx, width, height, this.emptyText);
    }
    const hi = Math.max(...finite) * 1.08;
    const lo = this.log ? Math.max(Math.min(...finite) / 1.5, hi * 1e-6) : 0;
    const x = linearScale(starts[0], starts[starts.length - 1], frame.left, frame.right);
    const y = this.log ? logScale(lo, hi, frame.bottom, frame.top) : linearScale(0, hi, frame.bottom, frame.top);
    drawAxes(ctx, frame, x, y, { xLabel: this.xLabel, yLabel: this.yLabel });
    for (let k = 0; k < values.length; k++) {
      const v = values[k];
      if (!Number.isFinite(v) || (this.log && v <= 0)) continue;
      const x0 = x(starts[k]), x1 = x(starts[k + 1]);
      const gap = x1 - x0 > 4 ? 1 : 0;
      ctx.fillStyle = highlight !== null && starts[k] <= highlight && highlight < starts[k + 1] ? theme.noise : this.color;
      ctx.fillRect(x0 + gap, y(v), Math.max(1, x1 - x0 - 2 * gap), frame.bottom - y(v));
    }
  }
}

// Values per t (T of them) summed into about `bars` equal ranges of t, as means per step.
export function binned(values, bars, firstT = 0) {
  const T = values.length - firstT;
  const count = Math.min(bars, T);
  const starts = new Int32Array(count + 1), out = new Float64Array(count);
  for (let k = 0; k <= count; k++) starts[k] = firstT + Math.round((k * T) / count);
  for (let k = 0; k < count; k++) {
    let sum = 0;
    for (let t = starts[k]; t < starts[k + 1]; t++) sum += values[t];
    out[k] = sum / (starts[k + 1] - starts[k]);
  }
  return { starts, values: out };
}
