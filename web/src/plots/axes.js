// Scales, ticks and axes for the charts (the 2D point plots have no axes, only a light grid).
import { theme } from './theme.js';

export function linearScale(d0, d1, r0, r1) {
  const k = d1 === d0 ? 0 : (r1 - r0) / (d1 - d0);
  const scale = (x) => r0 + (x - d0) * k;
  scale.invert = (y) => d0 + (y - r0) / (k || 1);
  scale.ticks = (n = 5) => niceTicks(d0, d1, n);
  scale.domain = [d0, d1];
  return scale;
}

export function logScale(d0, d1, r0, r1) {
  const l0 = Math.log10(d0), l1 = Math.log10(d1);
  const inner = linearScale(l0, l1, r0, r1);
  const scale = (x) => inner(Math.log10(Math.max(x, 1e-300)));
  scale.invert = (y) => 10 ** inner.invert(y);
  scale.ticks = () => {
    const out = [];
    for (let e = Math.floor(l0); e <= Math.ceil(l1); e++) {
      for (const m of (l1 - l0 > 3 ? [1] : [1, 2, 5])) {
        const v = m * 10 ** e;
        if (v >= d0 * 0.999 && v <= d1 * 1.001) out.push(v);
      }
    }
    return out;
  };
  scale.domain = [d0, d1];
  return scale;
}

// About n round numbers covering [min, max].
export function niceTicks(min, max, n = 5) {
  if (!(max > min)) return [min];
  const raw = (max - min) / Math.max(1, n);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

export function formatNumber(x) {
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e4 || a < 1e-3) {
    const [m, e] = x.toExponential(0).split('e');
    return `${m}e${Number(e)}`;
  }
  if (a >= 1000) return `${Number((x / 1000).toPrecision(3))}k`;
  return String(Number(x.toPrecision(3)));
}

// The inner frame of a chart with room for tick labels.
export function chartFrame(width, height, { left = 40, right = 12, top = 10, bottom = 24 } = {}) {
  return { left, top, right: width - right, bottom: height - bottom, width: width - left - right, height: height - top - bottom };
}

// Grid lines, tick labels and axis titles. y2: an optional right-hand scale.
export function drawAxes(ctx, frame, x, y, { xLabel = '', yLabel = '', y2 = null, y2Label = '', xTicks, yTicks } = {}) {
  ctx.save();
  ctx.lineWidth = 1;
  ctx.strokeStyle = theme.grid;
  ctx.fillStyle = theme.muted;
  ctx.textBaseline = 'top';
  ctx.textAlign = 'center';
  for (const v of xTicks ?? x.ticks(Math.max(2, Math.floor(frame.width / 70)))) {
    const px = Math.round(x(v)) + 0.5;
    if (px < frame.left - 1 || px > frame.right + 1) continue;
    ctx.beginPath(); ctx.moveTo(px, frame.top); ctx.lineTo(px, frame.bottom); ctx.stroke();
    ctx.fillText(formatNumber(v), px, frame.bottom + 4);
  }
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (const v of yTicks ?? y.ticks(Math.max(2, Math.floor(frame.height / 36)))) {
    const py = Math.round(y(v)) + 0.5;
    if (py < frame.top - 1 || py > frame.bottom + 1) continue;
    ctx.beginPath(); ctx.moveTo(frame.left, py); ctx.lineTo(frame.right, py); ctx.stroke();
    ctx.fillText(formatNumber(v), frame.left - 5, py);
  }
  if (y2) {
    ctx.textAlign = 'left';
    for (const v of y2.ticks(Math.max(2, Math.floor(frame.height / 36)))) {
      const py = Math.round(y2(v)) + 0.5;
      if (py >= frame.top - 1 && py <= frame.bottom + 1) ctx.fillText(formatNumber(v), frame.right + 5, py);
    }
  }
  ctx.strokeStyle = theme.axis;
  ctx.beginPath();
  ctx.moveTo(frame.left + 0.5, frame.top); ctx.lineTo(frame.left + 0.5, frame.bottom + 0.5); ctx.lineTo(frame.right, frame.bottom + 0.5);
  ctx.stroke();
  ctx.fillStyle = theme.text;
  ctx.textBaseline = 'bottom';
  ctx.textAlign = 'right';
  if (xLabel) ctx.fillText(xLabel, frame.right, frame.bottom - 3);
  ctx.textAlign = 'left';
  ctx.textBaseline = 'top';
  if (yLabel) ctx.fillText(yLabel, frame.left + 5, frame.top + 2);
  ctx.textAlign = 'right';
  if (y2Label) ctx.fillText(y2Label, frame.right - 3, frame.top + 2);
  ctx.restore();
}

// A polyline through (x(i), y(v[i])) for finite values.
export function strokeSeries(ctx, xs, ys, color, width = 1.5) {
  ctx.save();
  ctx.strokeStyle = color;
  ctx.lineWidth = width;
  ctx.lineJoin = 'round';
  ctx.beginPath();
  let pen = false;
  for (let i = 0; i < xs.length; i++) {
    if (!Number.isFinite(ys[i])) { pen = false; continue; }
    if (pen) ctx.lineTo(xs[i], ys[i]); else ctx.moveTo(xs[i], ys[i]);
    pen = true;
  }
  ctx.stroke();
  ctx.restore();
}
