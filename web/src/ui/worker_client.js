// The page's side of the worker: send(type, fields, transfer) and on(type, handler). Messages and
// their fields are listed in protocol.js.
export class WorkerClient {
  constructor(url, { onCrash = () => {} } = {}) {
    this.handlers = new Map();
    this.worker = new Worker(url, { type: 'module' });
    this.worker.onmessage = ({ data }) => this.handlers.get(data.type)?.(data);
    this.worker.onerror = (event) => {
      event.preventDefault?.();
      onCrash(event.message || 'the worker failed to start');
    };
  }

  on(type, handler) {
    this.handlers.set(type, handler);
    return this;
  }

  send(type, fields = {}, transfer = []) {
    this.worker.postMessage({ type, ...fields }, transfer);
  }
}
