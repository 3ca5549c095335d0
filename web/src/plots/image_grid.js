// Images in a grid, as the data set shows them: the digits dark ink on white, Fashion-MNIST light
// on black (each pixel's grey from its value in data units 0 .. levels - 1, clamped: a sample can
// overshoot the range). With labels, one row per class (the class named at the left); without, row
// after row. update({ images (flat n C H W), shape [C, H, W], levels, darkInk, labels, classNames,
// columns, message }).
import { Plot } from './plot.js';
import { theme } from './theme.js';

const GAP = 2;  // pixels between images

// Rows of image indices: one per class (in class order) with labels of several classes, else
// `columns` a row (a square grid by default).
function layout(n, labels, columns) {
  const oneClass = labels && labels.length > 0 && labels.every((k) => k === labels[0]);
  if (labels && labels.length === n && !oneClass) {
    const byClass = new Map();
    for (let i = 0; i < n; i++) {
      if (!byClass.has(labels[i])) byClass.set(labels[i], []);
      byClass.get(labels[i]).push(i);
    }
    return [...byClass.keys()].sort((a, b) => a - b).map((k) => ({ label: k, items: byClass.get(k) }));
  }
  const perRow = columns || Math.max(1, Math.ceil(Math.sqrt(n)));
  const rows = [];
  for (let i = 0; i < n; i += perRow) {
    rows.push({ label: null, items: Array.from({ length: Math.min(perRow, n - i) }, (_, j) => i + j) });
  }
  return rows;
}

// Paints images (flat n C H W, data units) into the box (x, y, width, height) of a canvas context,
// each image pixel a square of whole canvas pixels, centred. Returns false when there is nothing.
export function paintImages(ctx, box, { images, shape, levels, darkInk, labels = null, classNames = [], columns = 0 }) {
  const [C, H, W] = shape;
  const size = C * H * W;
  const n = images ? Math.floor(images.length / size) : 0;
  if (!n) return false;
  const rows = layout(n, labels, columns);
  const left = rows.some((r) => r.label !== null) ? 18 : 0;
  const cols = Math.max(...rows.map((r) => r.items.length));
  const cell = Math.max(1, Math.floor(Math.min((box.width - left - GAP * cols) / (cols * W),
    (box.height - GAP * rows.length) / (rows.length * H))));
  const gridW = cols * (cell * W + GAP) - GAP, gridH = rows.length * (cell * H + GAP) - GAP;
  const x0 = Math.floor(box.x + left + (box.width - left - gridW) / 2), y0 = Math.floor(box.y + (box.height - gridH) / 2);
  // One canvas pixel per image pixel, scaled up without smoothing: sharp squares.
  const tile = new ImageData(W, H);
  const scratch = new OffscreenCanvas(W, H);
  const sctx = scratch.getContext('2d');
  ctx.imageSmoothingEnabled = false;
  const top = levels - 1;
  const grey = (i, k, p) => Math.max(0, Math.min(1, images[i * size + k * H * W + p] / top));
  rows.forEach((row, r) => {
    const y = y0 + r * (cell * H + GAP);
    if (row.label !== null) {
      ctx.fillStyle = theme.muted;
      ctx.textAlign = 'right';
      ctx.textBaseline = 'middle';
      const name = classNames[row.label];
      ctx.fillText(name && name.length <= 2 ? name : String(row.label), x0 - 4, y + (cell * H) / 2);
    }
    row.items.forEach((i, c) => {
      for (let p = 0; p < H * W; p++) {
        for (let k = 0; k < 3; k++) {
          const v = grey(i, C === 3 ? k : 0, p);  // three channels: RGB; otherwise the first, grey
          tile.data[4 * p + k] = Math.round(255 * (darkInk ? 1 - v : v));
        }
        tile.data[4 * p + 3] = 255;
      }
      sctx.putImageData(tile, 0, 0);
      ctx.drawImage(scratch, x0 + c * (cell * W + GAP), y, cell * W, cell * H);
    });
  });
  return true;
}

export class ImageGrid extends Plot {
  empty() {
    return { images: null, shape: [1, 8, 8], levels: 17, darkInk: true, labels: null, classNames: [],
      columns: 0, message: '' };
  }

  draw(ctx, width, height) {
    const painted = paintImages(ctx, { x: 0, y: 0, width, height }, this.data);
    const { message } = this.data;
    if (!painted || message) this.placeholder(ctx, width, height, message || 'no images yet');
  }
}
