// The top bar: Train / Pause, Step and Reset, the step counter, the loss, the speed and the status
// line (errors and state). The test hooks read `steps`, `loss` and `status` from here.
const $ = (id) => document.getElementById(id);

export class Toolbar {
  constructor() {
    this.train = $('train');
    this.stepButton = $('step');
    this.resetButton = $('reset');
    this.steps = $('steps');
    this.total = $('steps-total');
    this.loss = $('loss');
    this.rate = $('rate');
    this.line = $('status');
  }

  enable(on, { trainable = true } = {}) {
    this.train.disabled = !on || !trainable;
    this.stepButton.disabled = !on || !trainable;
    this.resetButton.disabled = !on;
  }

  setRunning(running) {
    this.train.textContent = running ? 'Pause' : 'Train';
    this.train.setAttribute('aria-pressed', String(running));
  }

  setStep(step, total) {
    this.steps.textContent = String(step);
    if (total !== undefined) this.total.textContent = ` / ${total.toLocaleString('en')}`;
  }

  setLoss(loss) {
    this.loss.textContent = loss === null || loss === undefined ? '–' : Number(loss).toPrecision(4);
  }

  setRate(stepsPerSec) {
    this.rate.textContent = stepsPerSec > 0 ? stepsPerSec.toFixed(stepsPerSec < 10 ? 1 : 0) : '–';
  }

  status(text, level = 'info') {
    this.line.textContent = text;
    this.line.className = `status ${level}`;
  }
}
