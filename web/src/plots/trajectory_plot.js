// The reverse process as an animation: recorded frames of the sampler, from x_T ~ N(0, I) to the
// samples, showing either x_t or the model's running estimate x0_hat of where each point ends.
// play() / pause() / seek(frame); onFrame(frame, frames, t) reports the position (t real: Euler and
// Heun's are fractional; a flow model's trajectory has flowT = T, its frames at t = s T). For images
// (update({ images: { shape, levels, darkInk, labels, classNames } })) each frame is a row of the
// animated images instead of points.
import { PointsPlot, drawPoints } from './points.js';
import { paintImages } from './image_grid.js';
import { theme } from './theme.js';

const FRAME_MS = 45;
const HOLD_MS = 1200;  // pause on the last frame before looping
const TRAIL = 3;       // earlier frames drawn faintly behind the current one
const PATHS = 150;     // points whose whole path so far is drawn as a line (x_t frames only): how
                       // each objective's sampler carries noise to data

// A frame's t: an integer step, or (Euler and Heun evaluate the model between steps) one decimal.
export const formatT = (t) => (Number.isInteger(t) ? String(t) : t.toFixed(1));

export class TrajectoryPlot extends PointsPlot {
  constructor(canvas, { label, onFrame = () => {} } = {}) {
    super(canvas, { label });
    this.onFrame = onFrame;
    this.playing = false;
  }

  empty() { return { ...super.empty(), trajectory: null, frame: 0, space: 'xt', images: null }; }

  draw(ctx, width, height) {
    if (!this.data.images) return super.draw(ctx, width, height);
    const { trajectory, frame, images, message } = this.data;
    if (!trajectory || !trajectory.frames) return this.placeholder(ctx, width, height, message || 'press Sample');
    paintImages(ctx, { x: 4, y: 22, width: width - 8, height: height - 26 },
      { ...images, images: this.framePoints(frame), columns: Math.min(trajectory.n, 5) });
    this.frameLabel(ctx, width);
  }

  update(data) {
    super.update(data);
    if (data.trajectory) this.seek(0);
  }

  frames() { return this.data.trajectory?.frames ?? 0; }

  seek(frame) {
    const frames = this.frames();
    if (!frames) return;
    this.data.frame = Math.max(0, Math.min(frames - 1, frame));
    const t = this.data.trajectory.timesteps[this.data.frame];
    this.onFrame(this.data.frame, frames, t);
    this.redraw();
  }

  play() {
    if (!this.frames() || this.playing) return;
    this.playing = true;
    if (this.data.frame >= this.frames() - 1) this.seek(0);
    let last = performance.now();
    const tick = (time) => {
      if (!this.playing) return;
      const atEnd = this.data.frame >= this.frames() - 1;
      if (time - last >= (atEnd ? HOLD_MS : FRAME_MS)) {
        last = time;
        this.seek(atEnd ? 0 : this.data.frame + 1);
      }
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  }

  pause() { this.playing = false; }

  framePoints(f) {
    const { trajectory, space, images } = this.data;
    const size = trajectory.n * (images ? images.shape.reduce((a, b) => a * b, 1) : 2);
    const source = space === 'x0' && f < trajectory.frames - 1 ? trajectory.x0Hat : trajectory.x;
    return source.subarray(f * size, (f + 1) * size);
  }

  drawLayers(ctx, map, width) {
    const { trajectory, frame, space } = this.data;
    if (!trajectory || !trajectory.frames) return;
    const color = space === 'x0' ? theme.predicted : theme.sample;
    ctx.save();
    if (space !== 'x0') this.drawPaths(ctx, map, frame, color);
    for (let f = Math.max(0, frame - TRAIL); f < frame; f++) {
      ctx.globalAlpha = 0.12 * (1 + f - (frame - TRAIL));
      drawPoints(ctx, map, this.framePoints(f), color, 2);
    }
    ctx.globalAlpha = 1;
    drawPoints(ctx, map, this.framePoints(frame), color, 2.2);
    ctx.restore();
    this.frameLabel(ctx, width);
  }

  // The first PATHS points' positions in frames 0..frame, joined.
  drawPaths(ctx, map, frame, color) {
    const { trajectory } = this.data;
    const n = Math.min(PATHS, trajectory.n);
    ctx.globalAlpha = 0.25;
    ctx.strokeStyle = color;
    ctx.lineWidth = 0.8;
    ctx.beginPath();
    for (let i = 0; i < n; i++) {
      for (let f = 0; f <= frame; f++) {
        const at = trajectory.x.subarray((f * trajectory.n + i) * 2, (f * trajectory.n + i) * 2 + 2);
        if (f === 0) ctx.moveTo(map.toX(at[0]), map.toY(at[1])); else ctx.lineTo(map.toX(at[0]), map.toY(at[1]));
      }
    }
    ctx.stroke();
  }

  frameLabel(ctx, width) {
    const { trajectory, frame, space } = this.data;
    const t = trajectory.timesteps[frame];
    // A flow model's frames are at levels s, given to the network as s T (trajectory.flowT = T).
    const [name, shown] = trajectory.flowT ? ['s', (t / trajectory.flowT).toFixed(3)] : ['t', formatT(t)];
    const label = t < 0 ? 'x₀: the samples' : space === 'x0' ? `x̂₀ predicted at ${name} = ${shown}`
      : `x_${name} at ${name} = ${shown}`;
    ctx.fillStyle = theme.text;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'top';
    ctx.fillText(label, width - 6, 6);
  }
}
