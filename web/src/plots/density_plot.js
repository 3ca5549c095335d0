// The density of the samples: a 2D histogram on a grid of about 4-pixel cells over the plot,
// coloured on a square-root scale so that thin parts stay visible.
import { PointsPlot } from './points.js';
import { blues } from './theme.js';

const CELL = 4;

export class DensityPlot extends PointsPlot {
  empty() { return { ...super.empty(), samples: null }; }

  drawLayers(ctx, map, width, height) {
    const { samples } = this.data;
    if (!samples || samples.length < 2) return;
    const nx = Math.ceil(width / CELL), ny = Math.ceil(height / CELL);
    const counts = new Float32Array(nx * ny);
    let peak = 0;
    for (let i = 0; i < samples.length; i += 2) {
      const cx = Math.floor(map.toX(samples[i]) / CELL), cy = Math.floor(map.toY(samples[i + 1]) / CELL);
      if (cx < 0 || cy < 0 || cx >= nx || cy >= ny) continue;
      peak = Math.max(peak, ++counts[cy * nx + cx]);
    }
    for (let cy = 0; cy < ny; cy++) {
      for (let cx = 0; cx < nx; cx++) {
        const c = counts[cy * nx + cx];
        if (!c) continue;
        const [r, g, b] = blues(0.15 + 0.85 * Math.sqrt(c / peak));
        ctx.fillStyle = `rgb(${r},${g},${b})`;
        ctx.fillRect(cx * CELL, cy * CELL, CELL, CELL);
      }
    }
  }
}
