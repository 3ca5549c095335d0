// The page's side of the worker: send(type, fields, transfer) and on(type, handler). Messages and
// their fields are listed in protocol.js.
//
// It takes a worker that is already running (early_worker.js: boot.js starts it before the page's
// modules load) with the events the worker dispatched before this client existed. Those are
// replayed in a microtask: after the code that made the client has registered its handlers with
// on() (in the same task), and before the worker's next event, which is a task of its own.
//
// A worker that fails (an exception nothing caught, which leaves its state unknown) is reported
// through onCrash; restart() replaces it with a fresh one that keeps the same handlers.
import { workerUrl } from './early_worker.js';

export class WorkerClient {
  constructor({ worker, events = [] }, { onCrash = () => {} } = {}) {
    this.handlers = new Map();
    this.onCrash = onCrash;
    this.attach(worker);
    queueMicrotask(() => events.forEach((event) => (event.type === 'error' ? this.crash : this.receive)(event)));
  }

  receive = ({ data }) => this.handlers.get(data.type)?.(data);

  crash = (event) => {
    event.preventDefault?.();
    this.onCrash(event.message || 'the worker failed to start');
  };

  attach(worker) {
    this.worker = worker;
    this.worker.onmessage = this.receive;
    this.worker.onerror = this.crash;
  }

  // Ends the worker (whatever it was doing) and starts a fresh one; its module loads anew, so the
  // caller sends init (and the run to restore) again.
  restart() {
    this.worker.onmessage = this.worker.onerror = null;
    this.worker.terminate();
    this.attach(new Worker(workerUrl(), { type: 'module' }));
  }

  on(type, handler) {
    this.handlers.set(type, handler);
    return this;
  }

  send(type, fields = {}, transfer = []) {
    this.worker.postMessage({ type, ...fields }, transfer);
  }
}
