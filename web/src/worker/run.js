// The worker's one training run: the WebAssembly trainer (or, for an exported checkpoint, a model
// that can only be sampled), its data and the forward process of that data. Every binding returns
// { ok, ... }; check() turns { ok: false, error } into a thrown Error with the binding's message.
import { CUSTOM_DATASET, DATASETS, IMAGE_DATASETS } from '../state.js';

export const DISPLAY_POINTS = 2000;  // data points sent to the page for plotting
export const DISPLAY_IMAGES = 100;   // training images sent to the page (10 of each digit)
export const FORWARD_IMAGES = 8;     // training images the forward-process view noises
export const ELBO_IMAGES = 64;       // held-out images the ELBO bounds (each costs T U-Net evaluations)

// The decompressed bytes of an asset next to the page (web/dist/data, scripts/web_assets.mjs).
async function fetchAsset(name, { gzip = false } = {}) {
  const url = new URL(`../../data/${name}`, import.meta.url);
  const response = await fetch(url);
  if (!response.ok) {
    throw new Error(`cannot load ${name} (HTTP ${response.status}): the page was built without it; ` +
      'run scripts/setup.sh, then scripts/build.sh');
  }
  if (!gzip) return new Uint8Array(await response.arrayBuffer());
  const stream = response.body.pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

// The first `perClass` images of each class, in class order (the data view's rows).
function imagesByClass(points, labels, size, perClass, classes) {
  const n = points.length / size;
  if (!labels) return { points: points.slice(0, Math.min(n, perClass * 10) * size), labels: null };
  const picked = [];
  for (let k = 0; k < classes; k++) {
    for (let i = 0, taken = 0; i < n && taken < perClass; i++) if (labels[i] === k) { picked.push(i); taken++; }
  }
  const out = new Float32Array(picked.length * size);
  picked.forEach((i, j) => out.set(points.subarray(i * size, (i + 1) * size), j * size));
  return { points: out, labels: Int32Array.from(picked, (i) => labels[i]) };
}

export function check(result) {
  if (!result || !result.ok) throw new Error(result ? result.error : 'no result');
  return result;
}

export class Run {
  constructor(module) {
    this.module = module;
    this.trainer = null;      // TrainerHandle, or null
    this.fixedModel = null;   // ModelHandle of an exported checkpoint (no training state)
    this.fixedBytes = null;   // that checkpoint's bytes, for download
    this.forwardProcess = null;
    this.points = new Float32Array(0);  // all training points, data units
    this.labels = null;                 // their class labels (Int32Array), or null
    this.shape = [2];                   // one sample's shape
    this.customPoints = null;           // the last drawn / CSV points (with their labels)
    this.info = null;
    this.token = 0;           // bumped whenever the run changes: stale jobs stop themselves
    this.imageSets = new Map();  // name -> promise of { images (ImageDataHandle), info }
    this.classifiers = new Map();  // name -> promise of a Classifier handle
    this.previewClass = { classLabel: 'all', guidance: 1 };  // what an image run's previews draw
  }

  // An image data set's training and held-out images (loaded once, on first use).
  imageData(name) {
    if (!this.imageSets.has(name)) {
      const loading = Promise.all([
        fetchAsset(`${name}-images-idx3-ubyte.gz`, { gzip: true }),
        fetchAsset(`${name}-labels-idx1-ubyte.gz`, { gzip: true }),
      ]).then(([images, labels]) => {
        const loaded = check(this.module.imageDataLoad(name, images, labels));
        return { images: loaded.images, info: loaded };
      });
      loading.catch(() => this.imageSets.delete(name));  // a failed load is tried again next time
      this.imageSets.set(name, loading);
    }
    return this.imageSets.get(name);
  }

  // The project's quality classifier of an image data set (web/dist/data, trained by the build).
  classifier(name) {
    if (!this.classifiers.has(name)) {
      const loading = fetchAsset(`${name}-classifier.safetensors`)
        .then((bytes) => check(this.module.classifierLoad(bytes, `${name}-classifier.safetensors`)).classifier);
      loading.catch(() => this.classifiers.delete(name));
      this.classifiers.set(name, loading);
    }
    return this.classifiers.get(name);
  }

  // The first n held-out images (at most ELBO_IMAGES) of an image run's data set, in data units:
  // what the ELBO bounds, as `diffuse elbo --dataset digits` does.
  async heldOutImages(n) {
    const name = this.info?.source;
    if (!IMAGE_DATASETS.includes(name)) {
      throw new Error(`the ELBO needs held-out images of ${name}, which the page does not hold`);
    }
    const { images } = await this.imageData(name);
    return check(images.take('test', 0, Math.min(n, ELBO_IMAGES))).data;
  }

  // Values per sample: 2 for points, C H W for images.
  get sampleSize() { return this.shape.reduce((a, b) => a * b, 1); }
  get isImages() { return this.shape.length === 3; }

  dispose() {
    for (const key of ['trainer', 'fixedModel', 'forwardProcess']) {
      this[key]?.delete();
      this[key] = null;
    }
    this.fixedBytes = null;
    this.token += 1;
  }

  // A new run from page settings. data: { points, shape, labels, source } for custom points, else
  // the data set named by settings.dataset (or the last custom points when it is "custom").
  async configure(settings, data) {
    if (IMAGE_DATASETS.includes(settings.dataset)) return this.configureImages(settings);
    if (data?.csv !== undefined) data = this.parseCsv(data.csv, data.source);
    if (data?.points) {
      this.customPoints = { points: data.points, shape: data.shape ?? [2], source: data.source ?? 'points' };
      if (data.labels) this.customPoints.labels = data.labels;
    }
    let spec;
    if (settings.dataset === CUSTOM_DATASET && !data && this.isImages) {
      throw new Error(`this run's ${this.info?.source ?? 'images'} cannot be trained here (the page holds no such ` +
        'images): choose a data set to start a new run');
    }
    if (DATASETS.includes(settings.dataset)) spec = { dataset: settings.dataset };
    else if (this.customPoints) spec = this.customPoints;
    else throw new Error('no custom points yet: draw some or load a CSV file');
    const created = check(this.module.trainerCreate(settings, spec));
    return this.adoptTrainer(created, settings);
  }

  // A U-Net run on an image data set's training split.
  async configureImages(settings) {
    const { images } = await this.imageData(settings.dataset);
    return this.adoptTrainer(check(this.module.trainerCreateImages({ ...settings, modelKind: 'unet' }, images)), settings);
  }

  adoptTrainer(created, settings) {
    this.dispose();
    this.trainer = created.trainer;
    this.info = created;
    const data_ = check(this.trainer.data());
    Object.assign(this, { points: data_.points, labels: data_.labels, shape: data_.shape });
    this.makeForward(settings);
    return this.describe();
  }

  // A CSV file's points (and its "label" column, if any: never a coordinate).
  parseCsv(text, source) {
    const csv = check(this.module.csvParse(text, source));
    if (csv.dims !== 2) throw new Error(`${source} has ${csv.dims} columns: the page trains on 2D points (x, y)`);
    return { points: csv.points, shape: [2], labels: csv.labels ?? undefined, source };
  }

  // Adopts an uploaded checkpoint (the same bytes as the native CLI's).
  async load(bytes, name) {
    const loaded = check(this.module.checkpointLoad(bytes, name));
    // A run on an image data set names its images: resumable here when the page has them (the
    // digits), else (Fashion-MNIST) a model to sample.
    let imagesNote = null;
    if (loaded.reloadData !== null && IMAGE_DATASETS.includes(loaded.reloadData)) {
      try {
        const { images } = await this.imageData(loaded.reloadData);
        loaded.trainer = check(this.module.checkpointResumeImages(bytes, name, images)).trainer;
      } catch (error) {
        loaded.model.delete();
        throw error;
      }
    } else if (loaded.reloadData !== null) {
      imagesNote = `trained on ${loaded.reloadData}, which the page does not hold: it can be sampled, not trained`;
    }
    this.dispose();
    this.trainer = loaded.trainer;
    if (this.trainer) {
      loaded.model.delete();
    } else {
      this.fixedModel = loaded.model;
      this.fixedBytes = bytes;
    }
    this.info = loaded;
    this.info.note = imagesNote;
    this.shape = loaded.shape;
    this.labels = loaded.labels ?? null;
    const source = loaded.source;
    if (this.trainer && this.isImages) {
      const data_ = check(this.trainer.data());
      Object.assign(this, { points: data_.points, labels: data_.labels });
    } else if (loaded.data) this.points = loaded.data;
    else if (this.isImages) this.points = new Float32Array(0);
    else if (DATASETS.includes(source)) {
      this.points = check(this.module.datasetSample({ dataset: source, n: DISPLAY_POINTS,
        seed: loaded.settings.seed })).points;
    } else this.points = new Float32Array(0);
    if (!DATASETS.includes(source) && !this.isImages && this.points.length) {
      this.customPoints = { points: this.points, shape: this.shape, source };
      if (this.labels) this.customPoints.labels = this.labels;
    }
    this.makeForward(loaded.settings);
    return this.describe();
  }

  makeForward(settings) {
    this.forwardProcess?.delete();
    this.forwardProcess = null;
    if (this.isImages) {
      if (this.trainer) this.forwardProcess = check(this.module.forwardFromTrainer(this.trainer, FORWARD_IMAGES, 0)).forward;
    } else if (this.points.length >= 4) {
      this.forwardProcess = check(this.module.forwardCreate(settings, this.displayPoints(), 0)).forward;
    }
  }

  // What the page plots of the data: up to DISPLAY_POINTS points, or DISPLAY_IMAGES images (the
  // first of each class when labelled) with their labels.
  displayPoints() {
    if (this.isImages) {
      const classes = this.info?.classes || 10;
      return imagesByClass(this.points, this.labels, this.sampleSize, Math.ceil(DISPLAY_IMAGES / classes), classes).points;
    }
    return this.points.slice(0, Math.min(this.points.length, 2 * DISPLAY_POINTS));
  }

  displayLabels() {
    if (!this.isImages || !this.labels) return null;
    const classes = this.info?.classes || 10;
    return imagesByClass(this.points, this.labels, this.sampleSize, Math.ceil(DISPLAY_IMAGES / classes), classes).labels;
  }

  describe() {
    const i = this.info;
    return {
      step: i.step, params: i.params, trainSize: this.points.length / this.sampleSize, source: i.source,
      normalization: i.normalization, settings: i.settings, resumable: Boolean(this.trainer),
      shape: this.shape, classes: i.classes ?? 0, classNames: i.classNames ?? [], note: i.note ?? null,
      levels: i.normalization.levels ?? null,
    };
  }

  get step() {
    if (this.trainer) return check(this.trainer.info()).step;
    return this.info?.step ?? 0;
  }

  // Runs fn(model) with a frozen model of the current weights ('ema' or 'raw') and frees it after.
  withModel(weights, fn) {
    if (this.fixedModel) return fn(this.fixedModel);
    if (!this.trainer) throw new Error('there is no model yet');
    const model = check(this.trainer.model(weights !== 'raw')).model;
    try {
      return fn(model);
    } finally {
      model.delete();
    }
  }

  checkpointBytes() {
    if (this.trainer) return check(this.module.checkpointSave(this.trainer));
    if (this.fixedBytes) return { bytes: this.fixedBytes.slice(), step: this.info.step };
    throw new Error('there is no model to save');
  }
}

