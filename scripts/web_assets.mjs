// The page's image assets, written into web/dist/data by scripts/assemble_web.mjs (nothing of them
// is committed: they are built from the data scripts/setup.sh extracts from Debian's packages):
//
//   digits-images-idx3-ubyte.gz   sklearn's 1,797 digits, 8 x 8 pixels 0..16, in the IDX format of
//   digits-labels-idx1-ubyte.gz   MNIST (core/data/idx.hpp), gzipped: 40 KB against the CSV's 57 KB,
//                                 and parsed in WebAssembly by the core's own IDX reader
//                                 (digits_from_idx), which checks every size, level and label
//   digits-classifier.safetensors the quality classifier (scripts/build.sh trains it), for the
//   fashion-classifier.safetensors page's class agreement and Fréchet distance
//
// The page fetches them only when an image data set is chosen, so they cost the 2D page nothing.
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';

const DIGITS_COUNT = 1797, SIDE = 8, LEVELS = 17, CLASSES = 10;

// The CSV's rows (64 pixels then the label, no header) as IDX bytes; throws naming the line on a
// row the core's parser would reject (core/data/digits.cpp has the full rules).
export function digitsIdx(csvText, source) {
  const lines = csvText.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const n = lines.length;
  const images = Buffer.alloc(16 + n * SIDE * SIDE);
  const labels = Buffer.alloc(8 + n);
  images.writeUInt32BE(0x00000803, 0);
  images.writeUInt32BE(n, 4);
  images.writeUInt32BE(SIDE, 8);
  images.writeUInt32BE(SIDE, 12);
  labels.writeUInt32BE(0x00000801, 0);
  labels.writeUInt32BE(n, 4);
  lines.forEach((line, i) => {
    const fields = line.replace(/\r$/, '').split(',');
    const values = fields.map((f) => (/^\d{1,3}$/.test(f) ? Number(f) : NaN));
    const bad = values.findIndex((v, k) => !(v < (k < SIDE * SIDE ? LEVELS : CLASSES)));
    if (fields.length !== SIDE * SIDE + 1 || bad >= 0) {
      throw new Error(`${source} line ${i + 1}: expected 64 pixels 0..16 and a label 0..9` +
        (bad >= 0 ? `, column ${bad + 1} is "${fields[bad]}"` : `, got ${fields.length} columns`));
    }
    for (let k = 0; k < SIDE * SIDE; k++) images[16 + i * SIDE * SIDE + k] = values[k];
    labels[8 + i] = values[SIDE * SIDE];
  });
  return { images, labels, count: n };
}

// Writes the assets into `dir`; returns the lines to print (what was written or why not).
export function writeWebAssets(root, dir) {
  const dataDir = process.env.DIFFUSE_DATA_DIR ?? path.join(root, 'data');
  mkdirSync(dir, { recursive: true });
  const notes = [];
  const csv = path.join(dataDir, 'digits.csv.gz');
  if (existsSync(csv)) {
    const { images, labels, count } = digitsIdx(gunzipSync(readFileSync(csv)).toString('latin1'), csv);
    if (count !== DIGITS_COUNT) throw new Error(`${csv} has ${count} images, expected ${DIGITS_COUNT}: run scripts/setup.sh again`);
    writeFileSync(path.join(dir, 'digits-images-idx3-ubyte.gz'), gzipSync(images, { level: 9 }));
    writeFileSync(path.join(dir, 'digits-labels-idx1-ubyte.gz'), gzipSync(labels, { level: 9 }));
    notes.push(`digits: ${count} images`);
  } else {
    notes.push(`${csv} is missing (run scripts/setup.sh): the page's digits are not available`);
  }
  for (const name of ['digits', 'fashion']) {
    const file = path.join(dataDir, `${name}-classifier.safetensors`);
    if (existsSync(file)) {
      copyFileSync(file, path.join(dir, `${name}-classifier.safetensors`));
      notes.push(`${name} classifier`);
    } else {
      notes.push(`${file} is missing (scripts/build.sh trains it): the page measures ${name} quality without it`);
    }
  }
  return notes;
}
