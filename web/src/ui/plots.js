// Every plot of the page, each bound to its canvas, and the updates that touch several at once (a
// new data set changes the view and the background of every 2D plot; an image run fills the grids).
import { PointsPlot, viewFor } from '../plots/points.js';
import { DataPlot } from '../plots/data_plot.js';
import { LossChart } from '../plots/loss_chart.js';
import { BarChart, binned } from '../plots/bar_chart.js';
import { SchedulePlot } from '../plots/schedule_plot.js';
import { FieldPlot } from '../plots/field_plot.js';
import { DensityPlot } from '../plots/density_plot.js';
import { TrajectoryPlot } from '../plots/trajectory_plot.js';
import { QualityChart } from '../plots/quality_chart.js';
import { ElboTerms } from '../plots/elbo_terms.js';
import { ImageGrid } from '../plots/image_grid.js';
import { theme } from '../plots/theme.js';

const canvas = (id) => document.getElementById(id);

export class PlotSet {
  constructor({ onDrawn, onFrame }) {
    this.data = new DataPlot(canvas('plot-data'), { label: 'the training data', onDrawn });
    this.raw = new PointsPlot(canvas('plot-raw'), { label: 'samples of the raw weights during training' });
    this.ema = new PointsPlot(canvas('plot-ema'), { label: 'samples of the EMA weights during training' });
    this.loss = new LossChart(canvas('plot-loss'), { label: 'training loss against the step' });
    this.lossByT = new BarChart(canvas('plot-loss-t'), { label: 'loss against the timestep t', yLabel: 'loss',
      empty: 'fills in while training' });
    this.schedule = new SchedulePlot(canvas('plot-schedule'), { label: 'alpha-bar and log-SNR against t' });
    this.forward = new PointsPlot(canvas('plot-forward'), { label: 'the forward process: x_t of the data' });
    this.samples = new PointsPlot(canvas('plot-samples'), { label: 'samples drawn over the data' });
    this.density = new DensityPlot(canvas('plot-density'), { label: 'density of the samples' });
    this.trajectory = new TrajectoryPlot(canvas('plot-trajectory'), { label: 'the reverse process, animated', onFrame });
    this.field = new FieldPlot(canvas('plot-field'), { label: 'the learned epsilon field as arrows' });
    this.quality = new QualityChart(canvas('plot-quality'), { label: 'sample quality of every sampler against model calls' });
    this.elbo = new ElboTerms(canvas('plot-elbo'), { label: 'the three terms of the ELBO' });
    this.elboByT = new BarChart(canvas('plot-elbo-t'), { label: 'ELBO denoising terms per t', log: true,
      yLabel: 'L_t (nats, log)', empty: 'press Evaluate' });
    this.spatial = [this.data, this.raw, this.ema, this.forward, this.samples, this.density, this.trajectory, this.field];
    this.view = null;
    // Images: grids in place of the 2D plots (index.html shows one set or the other), the
    // trajectory's frames as images, and the Fréchet distance beside the class agreement.
    this.grids = {
      data: new ImageGrid(canvas('img-data'), { label: 'training images, one row per class' }),
      raw: new ImageGrid(canvas('img-raw'), { label: 'samples of the raw weights during training, one row per class' }),
      ema: new ImageGrid(canvas('img-ema'), { label: 'samples of the EMA weights during training, one row per class' }),
      forward: new ImageGrid(canvas('img-forward'), { label: 'the forward process: x_t of training images' }),
      samples: new ImageGrid(canvas('img-samples'), { label: 'samples, one row per class' }),
    };
    this.qualityFd = new QualityChart(canvas('plot-quality-fd'), { label: 'Fréchet distance of every sampler against model calls' });
    this.imageLook = null;  // { shape, levels, darkInk, classNames } of an image run, else null
  }

  // An image run's data: a grid of its training images (by class), and empty grids to fill.
  setImages(images, labels, look) {
    this.imageLook = look;
    this.grids.data.reset();
    this.grids.data.update({ ...look, images, labels, message: images.length ? '' : 'this checkpoint holds no images' });
    for (const name of ['raw', 'ema']) {
      this.grids[name].reset();
      this.grids[name].update({ ...look, message: 'sampling…' });
    }
    this.grids.samples.reset();
    this.grids.samples.update({ ...look, message: 'press Sample' });
    this.grids.forward.reset();
    this.grids.forward.update({ ...look, columns: 4, message: images.length ? '' : 'no training images' });
    this.trajectory.reset();
    this.trajectory.update({ images: look, message: 'press Sample' });
    this.quality.reset();
    this.quality.update({ metric: 'agreement' });
    this.qualityFd.reset();
    this.qualityFd.update({ metric: 'frechet' });
    this.loss.reset();
    this.lossByT.reset();
  }

  // A new run's data: every 2D plot shows its region, with the data behind the model's points.
  // keepLoss: the loss charts stay (the same run, restored after its worker failed).
  setData(points, normalization, { keepDrawing = false, keepLoss = false } = {}) {
    this.imageLook = null;
    this.trajectory.update({ images: null });
    this.view = viewFor(points, normalization);
    this.points = points;
    for (const plot of this.spatial) {
      if (plot === this.data && keepDrawing) continue;
      plot.reset();
      const background = plot === this.density || plot === this.data ? null : points;
      plot.update({ view: this.view, background });
    }
    if (!keepDrawing) this.restoreData();
    this.raw.update({ message: 'sampling…' });
    this.ema.update({ message: 'sampling…' });
    this.trajectory.update({ message: 'press Sample' });
    this.samples.update({ message: 'press Sample' });
    this.density.update({ message: 'press Sample' });
    if (keepLoss) return;
    this.loss.reset();
    this.lossByT.reset();
  }

  // The data plot shows the run's data (again, after drawing).
  restoreData() {
    this.data.reset();
    this.data.update({ view: this.view, layers: [{ points: this.points, color: theme.text, size: 1.6 }] });
  }

  // labels: each sample's class (conditional models), coloured by class; null otherwise.
  preview(raw, ema, labels = null) {
    if (this.imageLook) {
      this.grids.raw.update({ images: raw, labels, message: '' });
      this.grids.ema.update({ images: ema, labels, message: '' });
      return;
    }
    this.raw.update({ layers: [{ points: raw, color: theme.sample, labels }], message: '' });
    this.ema.update({ layers: [{ points: ema, color: theme.sampleAlt, labels }], message: '' });
  }

  samplesDrawn(points, trajectory, space, labels = null) {
    if (this.imageLook) {
      this.grids.samples.update({ images: points, labels, message: '' });
      this.trajectory.update({ trajectory, space, message: '' });
      return;
    }
    this.samples.update({ layers: [{ points, labels, color: theme.sample, size: points.length > 8000 ? 1.6 : 2.2 }],
      message: '' });
    this.density.update({ samples: points, message: '' });
    this.trajectory.update({ trajectory, space, message: '' });
  }

  lossByTUpdate(values, starts) { this.lossByT.update({ values, starts }); }

  forwardAt(points, t) {
    if (this.imageLook) {
      this.grids.forward.update({ images: points, message: '' });
      this.schedule.update({ t });
      return;
    }
    this.forward.update({ layers: [{ points, color: theme.noise }] });
    this.schedule.update({ t });
  }

  elboResult(result) {
    this.elbo.update({ result });
    // per_t holds L_0 at t = 0 and the denoising terms L_t for t >= 1.
    const { starts, values } = binned(result.perT, 100, 1);
    this.elboByT.update({ starts, values });
  }
}
