// The base of every plot: one canvas, kept sharp at the device's pixel ratio and redrawn when its
// size changes. Subclasses implement draw(ctx, width, height) from this.data; update(data) merges
// new data and schedules a redraw (at most one per animation frame); reset() returns to empty.
import { theme } from './theme.js';

export class Plot {
  constructor(canvas, { label = '' } = {}) {
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d');
    if (label) {
      canvas.setAttribute('role', 'img');
      canvas.setAttribute('aria-label', label);
    }
    this.width = 0;
    this.height = 0;
    this.pending = false;
    this.data = this.empty();
    this.resize();
    this.observer = new ResizeObserver(() => this.resize());
    this.observer.observe(canvas);
  }

  // The data of an empty plot.
  empty() { return {}; }

  update(data) {
    Object.assign(this.data, data);
    this.redraw();
  }

  reset() {
    this.data = this.empty();
    this.redraw();
  }

  redraw() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.paint();
    });
  }

  resize() {
    const rect = this.canvas.getBoundingClientRect();
    const ratio = window.devicePixelRatio || 1;
    const width = Math.max(1, Math.round(rect.width)), height = Math.max(1, Math.round(rect.height));
    if (width === this.width && height === this.height && this.ratio === ratio) return;
    Object.assign(this, { width, height, ratio });
    this.canvas.width = Math.round(width * ratio);
    this.canvas.height = Math.round(height * ratio);
    this.paint();
  }

  paint() {
    const { ctx, width, height, ratio } = this;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    ctx.font = theme.font;
    this.draw(ctx, width, height);
  }

  draw() {}

  // A message in a soft pill at the middle of the plot.
  placeholder(ctx, width, height, text) {
    if (!text) return;
    const w = ctx.measureText(text).width + 20, h = 22;
    const x = (width - w) / 2, y = (height - h) / 2;
    ctx.fillStyle = 'rgba(255, 255, 255, 0.9)';
    ctx.strokeStyle = theme.grid;
    ctx.beginPath();
    ctx.roundRect ? ctx.roundRect(x, y, w, h, 11) : ctx.rect(x, y, w, h);
    ctx.fill();
    ctx.stroke();
    ctx.fillStyle = theme.muted;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.fillText(text, width / 2, height / 2 + 0.5);
  }
}
