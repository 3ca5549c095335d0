// Plots of 2D points in the data's own units, with equal aspect: the training data in the
// background and layers of points (samples, x_t, ...) on top.
import { Plot } from './plot.js';
import { theme, classColor } from './theme.js';
import { niceTicks, formatNumber } from './axes.js';

// The region every 2D plot shows for a data set: its points and pure noise (mean +- 3 std in each
// coordinate, where x_T ~ N(0, I) lands after un-normalizing), with a margin.
export function viewFor(points, normalization) {
  let xmin = Infinity, xmax = -Infinity, ymin = Infinity, ymax = -Infinity;
  for (let i = 0; i < points.length; i += 2) {
    xmin = Math.min(xmin, points[i]); xmax = Math.max(xmax, points[i]);
    ymin = Math.min(ymin, points[i + 1]); ymax = Math.max(ymax, points[i + 1]);
  }
  if (normalization) {
    const [mx, my] = normalization.mean, [sx, sy] = normalization.std;
    xmin = Math.min(xmin, mx - 3 * sx); xmax = Math.max(xmax, mx + 3 * sx);
    ymin = Math.min(ymin, my - 3 * sy); ymax = Math.max(ymax, my + 3 * sy);
  }
  if (!Number.isFinite(xmin)) return { xmin: -3, xmax: 3, ymin: -3, ymax: 3 };
  const pad = 0.04 * Math.max(xmax - xmin, ymax - ymin, 1e-6);
  return { xmin: xmin - pad, xmax: xmax + pad, ymin: ymin - pad, ymax: ymax + pad };
}

// Pixel mapping of a view into a width x height box with equal units on both axes.
export function fitView(view, width, height) {
  const sx = width / (view.xmax - view.xmin), sy = height / (view.ymax - view.ymin);
  const s = Math.min(sx, sy);
  const cx = (view.xmin + view.xmax) / 2, cy = (view.ymin + view.ymax) / 2;
  const toX = (x) => width / 2 + (x - cx) * s;
  const toY = (y) => height / 2 - (y - cy) * s;
  return { scale: s, toX, toY, fromX: (px) => cx + (px - width / 2) / s, fromY: (py) => cy - (py - height / 2) / s };
}

// Points [x0, y0, x1, y1, ...] in one colour, or with labels (one per point) in their class's.
export function drawPoints(ctx, map, points, color, size = 2, labels = null) {
  if (!points) return;
  const h = size / 2;
  if (!labels) {
    ctx.fillStyle = color;
    for (let i = 0; i < points.length; i += 2) {
      ctx.fillRect(map.toX(points[i]) - h, map.toY(points[i + 1]) - h, size, size);
    }
    return;
  }
  for (let i = 0; i < points.length; i += 2) {
    ctx.fillStyle = classColor(labels[i / 2]);
    ctx.fillRect(map.toX(points[i]) - h, map.toY(points[i + 1]) - h, size, size);
  }
}

export class PointsPlot extends Plot {
  empty() { return { view: null, background: null, layers: [], message: '' }; }

  draw(ctx, width, height) {
    const { view, background, layers, message } = this.data;
    if (!view) return this.placeholder(ctx, width, height, message || '');
    const map = fitView(view, width, height);
    this.map = map;
    this.drawGrid(ctx, map, width, height);
    drawPoints(ctx, map, background, theme.data, 2);
    this.drawLayers(ctx, map, width, height);
    for (const layer of layers) drawPoints(ctx, map, layer.points, layer.color, layer.size ?? 2.2, layer.labels);
    if (message) this.placeholder(ctx, width, height, message);
  }

  drawLayers() {}

  drawGrid(ctx, map, width, height) {
    const x0 = map.fromX(0), x1 = map.fromX(width), y0 = map.fromY(height), y1 = map.fromY(0);
    const ticks = niceTicks(x0, x1, 6);
    const spacing = ticks.length > 1 ? ticks[1] - ticks[0] : 1;
    const xs = [], ys = [];
    for (let v = Math.ceil(x0 / spacing) * spacing; v <= x1; v += spacing) xs.push(Number(v.toPrecision(10)));
    for (let v = Math.ceil(y0 / spacing) * spacing; v <= y1; v += spacing) ys.push(Number(v.toPrecision(10)));
    ctx.save();
    ctx.strokeStyle = theme.grid;
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (const v of xs) { const px = Math.round(map.toX(v)) + 0.5; ctx.moveTo(px, 0); ctx.lineTo(px, height); }
    for (const v of ys) { const py = Math.round(map.toY(v)) + 0.5; ctx.moveTo(0, py); ctx.lineTo(width, py); }
    ctx.stroke();
    ctx.fillStyle = theme.muted;
    ctx.textBaseline = 'bottom';
    ctx.textAlign = 'left';
    if (width < 220) return ctx.restore();  // small plots: the grid alone
    for (const v of xs) if (map.toX(v) < width - 14) ctx.fillText(formatNumber(v), map.toX(v) + 2, height - 1);
    ctx.textBaseline = 'top';
    for (const v of ys) if (map.toY(v) > 14 && map.toY(v) < height - 14) ctx.fillText(formatNumber(v), 2, map.toY(v) + 1);
    ctx.restore();
  }
}
