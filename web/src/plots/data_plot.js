// The data set, and a drawing surface for your own points: in drawing mode, dragging the mouse (or
// a finger) sprays points around the pointer; with the keyboard, the arrow keys move a cross-hair
// and Space sprays. onDrawn(points) gets the flat array after every stroke.
import { PointsPlot, fitView } from './points.js';
import { theme } from './theme.js';

export const DRAW_VIEW = Object.freeze({ xmin: -2.5, xmax: 2.5, ymin: -2.5, ymax: 2.5 });
const SPRAY = 5;             // points per pointer event
const SPREAD = 0.06;         // their standard deviation, in data units

function gaussian() {
  return Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random());
}

export class DataPlot extends PointsPlot {
  constructor(canvas, { label, onDrawn = () => {} } = {}) {
    super(canvas, { label });
    this.onDrawn = onDrawn;
    this.drawing = false;
    this.drawn = [];
    this.cursor = { x: 0, y: 0 };
    canvas.addEventListener('pointerdown', (e) => this.pointer(e, 'down'));
    canvas.addEventListener('pointermove', (e) => this.pointer(e, 'move'));
    canvas.addEventListener('pointerup', (e) => this.pointer(e, 'up'));
    canvas.addEventListener('keydown', (e) => this.key(e));
  }

  setDrawing(on) {
    this.drawing = on;
    this.canvas.classList.toggle('drawing', on);
    this.canvas.tabIndex = on ? 0 : -1;
    if (on) {
      this.update({ view: DRAW_VIEW, background: null, layers: [{ points: Float32Array.from(this.drawn), color: theme.sample }],
        message: this.drawn.length ? '' : 'drag to draw points (or arrow keys + Space)' });
      this.canvas.focus();
    }
  }

  clearDrawing() {
    this.drawn = [];
    if (this.drawing) this.setDrawing(true);
  }

  spray(x, y) {
    for (let i = 0; i < SPRAY; i++) this.drawn.push(x + SPREAD * gaussian(), y + SPREAD * gaussian());
    this.update({ layers: [{ points: Float32Array.from(this.drawn), color: theme.sample }], message: '' });
  }

  pointer(event, phase) {
    if (!this.drawing) return;
    const rect = this.canvas.getBoundingClientRect();
    const map = fitView(DRAW_VIEW, rect.width, rect.height);
    const x = map.fromX(event.clientX - rect.left), y = map.fromY(event.clientY - rect.top);
    if (phase === 'down') {
      this.canvas.setPointerCapture(event.pointerId);
      this.stroke = true;
    }
    if (this.stroke && phase !== 'up') this.spray(x, y);
    if (phase === 'up' && this.stroke) {
      this.stroke = false;
      this.onDrawn(Float32Array.from(this.drawn));
    }
    event.preventDefault();
  }

  key(event) {
    if (!this.drawing) return;
    const moves = { ArrowLeft: [-0.1, 0], ArrowRight: [0.1, 0], ArrowUp: [0, 0.1], ArrowDown: [0, -0.1] };
    if (moves[event.key]) {
      this.cursor.x = Math.max(-2.4, Math.min(2.4, this.cursor.x + moves[event.key][0]));
      this.cursor.y = Math.max(-2.4, Math.min(2.4, this.cursor.y + moves[event.key][1]));
      this.redraw();
    } else if (event.key === ' ' || event.key === 'Enter') {
      this.spray(this.cursor.x, this.cursor.y);
      this.onDrawn(Float32Array.from(this.drawn));
    } else return;
    event.preventDefault();
  }

  drawLayers(ctx, map) {
    if (!this.drawing || document.activeElement !== this.canvas) return;
    const x = map.toX(this.cursor.x), y = map.toY(this.cursor.y);
    ctx.strokeStyle = theme.text;
    ctx.beginPath();
    ctx.moveTo(x - 7, y); ctx.lineTo(x + 7, y); ctx.moveTo(x, y - 7); ctx.lineTo(x, y + 7);
    ctx.stroke();
  }
}
