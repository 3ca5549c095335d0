// The worker's one training run: the WebAssembly trainer (or, for an exported checkpoint, a model
// that can only be sampled), its data and the forward process of that data. Every binding returns
// { ok, ... }; check() turns { ok: false, error } into a thrown Error with the binding's message.
import { DATASETS } from '../state.js';

export const DISPLAY_POINTS = 2000;  // data points sent to the page for plotting

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
  }

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
  configure(settings, data) {
    if (data?.csv !== undefined) data = this.parseCsv(data.csv, data.source);
    if (data?.points) {
      this.customPoints = { points: data.points, shape: data.shape ?? [2], source: data.source ?? 'points' };
      if (data.labels) this.customPoints.labels = data.labels;
    }
    let spec;
    if (DATASETS.includes(settings.dataset)) spec = { dataset: settings.dataset };
    else if (this.customPoints) spec = this.customPoints;
    else throw new Error('no custom points yet: draw some or load a CSV file');
    const created = check(this.module.trainerCreate(settings, spec));
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
  load(bytes, name) {
    const loaded = check(this.module.checkpointLoad(bytes, name));
    this.dispose();
    this.trainer = loaded.trainer;
    if (this.trainer) {
      loaded.model.delete();
    } else {
      this.fixedModel = loaded.model;
      this.fixedBytes = bytes;
    }
    this.info = loaded;
    this.shape = loaded.shape;
    this.labels = loaded.labels ?? null;
    const source = loaded.source;
    if (loaded.data) this.points = loaded.data;
    else if (DATASETS.includes(source)) {
      this.points = check(this.module.datasetSample({ dataset: source, n: DISPLAY_POINTS,
        seed: loaded.settings.seed })).points;
    } else this.points = new Float32Array(0);
    if (!DATASETS.includes(source) && this.points.length) {
      this.customPoints = { points: this.points, shape: this.shape, source };
      if (this.labels) this.customPoints.labels = this.labels;
    }
    this.makeForward(loaded.settings);
    return this.describe();
  }

  makeForward(settings) {
    this.forwardProcess?.delete();
    this.forwardProcess = null;
    if (this.points.length >= 4) {
      this.forwardProcess = check(this.module.forwardCreate(settings, this.displayPoints(), 0)).forward;
    }
  }

  displayPoints() {
    return this.points.slice(0, Math.min(this.points.length, 2 * DISPLAY_POINTS));
  }

  describe() {
    const i = this.info;
    return {
      step: i.step, params: i.params, trainSize: this.points.length / 2, source: i.source,
      normalization: i.normalization, settings: i.settings, resumable: Boolean(this.trainer),
      shape: this.shape, classes: i.classes ?? 0,
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
