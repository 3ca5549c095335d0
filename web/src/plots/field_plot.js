// The learned eps-field at one t: at grid points x_t an arrow along -eps_theta(x_t, t), the way the
// reverse process pushes a point (the score is grad log q_t(x_t) = -eps_theta / sqrt(1 - alpha_bar_t)).
// eps lives in the normalized space; un-normalizing scales it by the data's std per coordinate.
import { PointsPlot } from './points.js';
import { theme } from './theme.js';

export class FieldPlot extends PointsPlot {
  empty() { return { ...super.empty(), field: null, normalization: null }; }

  drawLayers(ctx, map) {
    const { field, normalization } = this.data;
    if (!field || !normalization) return;
    const { points, eps } = field;
    const [sx, sy] = normalization.std;
    const n = points.length / 2;
    const dirs = new Float32Array(2 * n), sizes = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      dirs[2 * i] = -eps[2 * i] * sx;
      dirs[2 * i + 1] = -eps[2 * i + 1] * sy;
      sizes[i] = Math.hypot(dirs[2 * i], dirs[2 * i + 1]);
    }
    // Lengths |v| / (|v| + median): every direction stays visible, the largest approach a full cell.
    const median = Float32Array.from(sizes).sort()[n >> 1] || 1;
    const cell = (points[2] - points[0]) * map.scale;  // grid spacing in pixels
    ctx.save();
    ctx.lineWidth = 1.3;
    ctx.strokeStyle = ctx.fillStyle = theme.sample;
    for (let i = 0; i < n; i++) {
      const x = map.toX(points[2 * i]), y = map.toY(points[2 * i + 1]);
      const k = sizes[i] > 0 ? (0.95 * cell) / (sizes[i] + median) : 0;  // pixels per unit of -eps * std
      const dx = dirs[2 * i] * k, dy = -dirs[2 * i + 1] * k;
      const len = Math.hypot(dx, dy);
      if (len < 0.5) continue;
      const alpha = 0.3 + 0.7 * (sizes[i] / (sizes[i] + median));
      ctx.globalAlpha = alpha;
      const ex = x + dx, ey = y + dy;
      ctx.beginPath(); ctx.moveTo(x, y); ctx.lineTo(ex, ey); ctx.stroke();
      const head = Math.min(4, len * 0.45), ux = dx / len, uy = dy / len;
      ctx.beginPath();
      ctx.moveTo(ex, ey);
      ctx.lineTo(ex - head * ux - head * 0.6 * uy, ey - head * uy + head * 0.6 * ux);
      ctx.lineTo(ex - head * ux + head * 0.6 * uy, ey - head * uy - head * 0.6 * ux);
      ctx.fill();
    }
    ctx.restore();
  }
}
