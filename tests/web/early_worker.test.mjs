// boot.js starts the worker before main.js has loaded (ui/early_worker.js) and main.js adopts it
// (ui/worker_client.js). A Worker drops an event that finds no listener, so the events in between
// must be kept and replayed: checked here with a stand-in Worker under node.
import { test } from 'node:test';
import assert from 'node:assert/strict';

// A Worker as far as the page uses one: EventTarget listeners plus the onmessage/onerror properties.
class FakeWorker extends EventTarget {
  static made = [];
  constructor(url, options) {
    super();
    Object.assign(this, { url: String(url), options, posted: [], onmessage: null, onerror: null });
    FakeWorker.made.push(this);
  }
  postMessage(message) { this.posted.push(message); }
  emit(event) {  // what the browser does when the worker posts or fails
    this.dispatchEvent(event);
    this[`on${event.type}`]?.(event);
  }
  message(data) { this.emit(new MessageEvent('message', { data })); }
  error(text) {
    const event = new Event('error', { cancelable: true });
    event.message = text;
    this.emit(event);
    return event;
  }
}
globalThis.Worker = FakeWorker;
const { startWorker, adoptWorker, workerUrl } = await import('../../web/src/ui/early_worker.js');
const { WorkerClient } = await import('../../web/src/ui/worker_client.js');
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

test('startWorker starts the module worker once', () => {
  const worker = startWorker();
  assert.equal(startWorker(), worker);
  assert.match(worker.url, /\/web\/src\/worker\.js$/);
  assert.deepEqual(worker.options, { type: 'module' });
  adoptWorker();
});

test('events before adoption reach the handlers registered after it, in order, once', async () => {
  const worker = startWorker();
  worker.message({ type: 'status', text: 'early' });
  const early = worker.error('worker.js: 404');
  assert.ok(early.defaultPrevented, 'a kept error is not reported as uncaught');
  worker.message({ type: 'ready' });

  const seen = [];
  const client = new WorkerClient(adoptWorker(), { onCrash: (m) => seen.push(`crash: ${m}`) });
  client.on('status', ({ text }) => seen.push(`status: ${text}`)).on('ready', () => seen.push('ready'));
  client.send('init');
  assert.deepEqual(worker.posted, [{ type: 'init' }]);
  assert.deepEqual(seen, [], 'replayed only after the handlers are registered');
  await tick();
  worker.message({ type: 'status', text: 'later' });
  await tick();
  assert.deepEqual(seen, ['status: early', 'crash: worker.js: 404', 'ready', 'status: later']);
});

test('adoptWorker starts the worker when boot.js did not', () => {
  const before = FakeWorker.made.length;
  const { worker, events } = adoptWorker();
  assert.equal(FakeWorker.made.length, before + 1);
  assert.equal(worker, FakeWorker.made.at(-1));
  assert.deepEqual(events, []);
});

test('the worker URL carries the page address\'s build choices (?threads, ?build) and nothing else', () => {
  globalThis.location = { search: '?threads=2&build=single&other=1' };
  try {
    const url = new URL(workerUrl());
    assert.match(url.pathname, /\/web\/src\/worker\.js$/);
    assert.deepEqual([...url.searchParams], [['threads', '2'], ['build', 'single']]);
  } finally {
    delete globalThis.location;
  }
  assert.equal(new URL(workerUrl()).search, '');
});
