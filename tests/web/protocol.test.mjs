// protocol.js lists exactly the messages the page and the worker exchange: every message the page
// sends is declared in TO_WORKER and handled by the worker, every message the worker posts is
// declared in TO_PAGE and handled by the page, and nothing declared is left unused. Read from the
// sources (no browser, no module); a message added or dropped on one side only fails here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TO_WORKER, TO_PAGE } from '../../web/src/protocol.js';

const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'web', 'src');
const read = (file) => readFileSync(path.join(src, file), 'utf8');
const workerFiles = ['worker.js', ...readdirSync(path.join(src, 'worker')).map((f) => `worker/${f}`)];
const pageFiles = ['main.js', ...readdirSync(path.join(src, 'ui')).map((f) => `ui/${f}`)];

const matches = (text, pattern) => new Set([...text.matchAll(pattern)].map((m) => m[1]));
const union = (sets) => new Set(sets.flatMap((s) => [...s]));
const sorted = (set) => [...set].sort();
// Message names from their string values (worker.js posts 'fatal' by value: it imports nothing).
const byValue = (table) => Object.fromEntries(Object.entries(table).map(([k, v]) => [v, k]));

test('every message the page sends is declared and handled by the worker', () => {
  const page = pageFiles.map(read).join('\n');
  // The page names TO_WORKER only to send (worker.send, latestOnly); startJob(job) sends TO_WORKER[job].
  const sent = union([matches(page, /TO_WORKER\.(\w+)/g), matches(page, /startJob\(\s*'(\w+)'/g)]);
  const handled = matches(read('worker/handlers.js'), /\[TO_WORKER\.(\w+)\]\s*\(/g);
  assert.deepEqual(sorted(sent), sorted(new Set(Object.keys(TO_WORKER))), 'sent by the page vs declared');
  assert.deepEqual(sorted(handled), sorted(new Set(Object.keys(TO_WORKER))), 'handled by the worker vs declared');
});

test('every message the worker posts is declared and handled by the page', () => {
  const worker = workerFiles.map(read).join('\n');
  const values = byValue(TO_PAGE);
  // The worker names TO_PAGE only to post.
  const posted = union([
    matches(worker, /TO_PAGE\.(\w+)/g),
    new Set([...matches(worker, /type:\s*'(\w+)'/g)].map((v) => values[v] ?? `unknown '${v}'`)),
  ]);
  const handled = matches(read('main.js'), /\.on\(\s*TO_PAGE\.(\w+)/g);
  assert.deepEqual(sorted(posted), sorted(new Set(Object.keys(TO_PAGE))), 'posted by the worker vs declared');
  assert.deepEqual(sorted(handled), sorted(new Set(Object.keys(TO_PAGE))), 'handled by the page vs declared');
});

test('declared names are their own values', () => {
  for (const table of [TO_WORKER, TO_PAGE]) {
    for (const [name, value] of Object.entries(table)) assert.equal(value, name);
  }
});
