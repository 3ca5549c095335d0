// The training loss against the step: every step's batch loss (light) and an exponential moving
// average (dark, starting at the first loss), on a log scale. update({ losses }) appends a slice's losses.
import { Plot } from './plot.js';
import { theme } from './theme.js';
import { chartFrame, drawAxes, linearScale, logScale } from './axes.js';

const SMOOTHING = 0.98;

export class LossChart extends Plot {
  empty() {
    return { raw: new Float32Array(4096), smooth: new Float32Array(4096), n: 0, first: 0, ema: null };
  }

  // Appends losses of consecutive steps, starting at step `first` (the first batch is step 1).
  update({ losses, first }) {
    const d = this.data;
    if (d.n === 0 && first) d.first = first - 1;
    if (d.n + losses.length > d.raw.length) {
      const size = Math.max(2 * d.raw.length, d.n + losses.length);
      const grow = (a) => { const b = new Float32Array(size); b.set(a.subarray(0, d.n)); return b; };
      d.raw = grow(d.raw);
      d.smooth = grow(d.smooth);
    }
    for (const loss of losses) {
      d.ema = d.ema === null ? loss : SMOOTHING * d.ema + (1 - SMOOTHING) * loss;
      d.raw[d.n] = loss;
      d.smooth[d.n] = d.ema;
      d.n += 1;
    }
    this.redraw();
  }

  draw(ctx, width, height) {
    const { raw, smooth, n, first } = this.data;
    const frame = chartFrame(width, height, { left: 44 });
    if (n < 2) {
      drawAxes(ctx, frame, linearScale(0, 1000, frame.left, frame.right), logScale(0.1, 2, frame.bottom, frame.top),
        { xLabel: 'step', yLabel: 'loss' });
      return this.placeholder(ctx, width, height, 'press Train');
    }
    // Each pixel column shows the mean of its steps (raw) and the smoothed value at its last step.
    const columns = Math.max(1, Math.floor(frame.width));
    const per = n / columns;
    const rawMean = [], smoothAt = [], xs = [];
    let lo = Infinity, hi = -Infinity;
    for (let c = 0; c < columns; c++) {
      const a = Math.floor(c * per), b = Math.max(a + 1, Math.floor((c + 1) * per));
      if (a >= n) break;
      let sum = 0;
      for (let i = a; i < Math.min(b, n); i++) sum += raw[i];
      const mean = sum / (Math.min(b, n) - a);
      rawMean.push(mean);
      smoothAt.push(smooth[Math.min(b, n) - 1]);
      xs.push(first + (a + b) / 2);
      lo = Math.min(lo, mean); hi = Math.max(hi, mean);
    }
    lo = Math.max(lo * 0.9, 1e-6);
    hi = Math.max(hi * 1.1, lo * 1.5);
    const x = linearScale(first, first + n, frame.left, frame.right);
    const y = logScale(lo, hi, frame.bottom, frame.top);
    drawAxes(ctx, frame, x, y, { xLabel: 'step', yLabel: 'loss (log)' });
    ctx.save();
    ctx.beginPath();
    ctx.rect(frame.left, frame.top, frame.width, frame.height);
    ctx.clip();
    const px = xs.map(x);
    this.line(ctx, px, rawMean.map(y), theme.lossRaw, 1);
    this.line(ctx, px, smoothAt.map(y), theme.loss, 2);
    ctx.restore();
  }

  line(ctx, xs, ys, color, width) {
    ctx.strokeStyle = color;
    ctx.lineWidth = width;
    ctx.lineJoin = 'round';
    ctx.beginPath();
    xs.forEach((x, i) => (i ? ctx.lineTo(x, ys[i]) : ctx.moveTo(x, ys[i])));
    ctx.stroke();
  }
}
