// The page's side of the worker: send(type, fields, transfer) and on(type, handler). Messages and
// their fields are listed in protocol.js.
//
// It takes a worker that is already running (early_worker.js: boot.js starts it before the page's
// modules load) with the events the worker dispatched before this client existed. Those are
// replayed in a microtask: after the code that made the client has registered its handlers with
// on() (in the same task), and before the worker's next event, which is a task of its own.
export class WorkerClient {
  constructor({ worker, events = [] }, { onCrash = () => {} } = {}) {
    this.handlers = new Map();
    this.worker = worker;
    const receive = ({ data }) => this.handlers.get(data.type)?.(data);
    const crash = (event) => {
      event.preventDefault?.();
      onCrash(event.message || 'the worker failed to start');
    };
    this.worker.onmessage = receive;
    this.worker.onerror = crash;
    queueMicrotask(() => events.forEach((event) => (event.type === 'error' ? crash : receive)(event)));
  }

  on(type, handler) {
    this.handlers.set(type, handler);
    return this;
  }

  send(type, fields = {}, transfer = []) {
    this.worker.postMessage({ type, ...fields }, transfer);
  }
}
