// The noise schedule: alpha_bar_t (left axis, 0..1) and log SNR_t = log(alpha_bar_t / (1 -
// alpha_bar_t)) (right axis) against t, with a marker at the forward-process slider's t. A flow
// run's tables (objective 'flow') have its levels s_t instead, drawn on the left axis (0 data,
// 1 noise), and the SNR of x_s = (1 - s) x_0 + s eps.
import { Plot } from './plot.js';
import { theme } from './theme.js';
import { chartFrame, drawAxes, linearScale } from './axes.js';

export class SchedulePlot extends Plot {
  empty() { return { tables: null, t: null }; }

  draw(ctx, width, height) {
    const { tables, t } = this.data;
    const frame = chartFrame(width, height, { left: 36, right: 36 });
    if (!tables) return this.placeholder(ctx, width, height, 'loading…');
    const T = tables.timesteps;
    const logSnr = Array.from(tables.snr, (s) => Math.log(s));
    const finite = logSnr.filter(Number.isFinite);
    const lo = Math.floor(Math.min(...finite, 0)), hi = Math.ceil(Math.max(...finite, 0));
    const x = linearScale(0, T - 1, frame.left, frame.right);
    const y = linearScale(0, 1, frame.bottom, frame.top);
    const y2 = linearScale(lo, hi, frame.bottom, frame.top);
    const flow = tables.objective === 'flow';
    const left = flow ? tables.level : tables.alpha_bar;
    drawAxes(ctx, frame, x, y, { xLabel: 't', yLabel: flow ? 's_t' : 'ᾱ_t', y2, y2Label: 'log SNR_t' });
    const xs = Array.from({ length: T }, (_, i) => x(i));
    this.series(ctx, xs, Array.from(left, y), theme.sample);
    // log SNR is -inf where alpha_bar = 0 (zero terminal SNR): draw it down to the frame's bottom.
    this.series(ctx, xs, logSnr.map((v) => (Number.isFinite(v) ? y2(v) : frame.bottom)), theme.noise);
    if (t !== null && t < T) {
      const px = Math.round(x(t)) + 0.5;
      ctx.strokeStyle = theme.text;
      ctx.setLineDash([3, 3]);
      ctx.beginPath(); ctx.moveTo(px, frame.top); ctx.lineTo(px, frame.bottom); ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = theme.text;
      ctx.beginPath(); ctx.arc(px, y(left[t]), 3.5, 0, 2 * Math.PI); ctx.fill();
    }
  }

  series(ctx, xs, ys, color) {
    ctx.strokeStyle = color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    xs.forEach((x, i) => (i ? ctx.lineTo(x, ys[i]) : ctx.moveTo(x, ys[i])));
    ctx.stroke();
  }
}
