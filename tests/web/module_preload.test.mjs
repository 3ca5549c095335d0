// The modules are requested all at once instead of one level of imports after another: the page's
// with <link rel="modulepreload"> in web/index.html (boot.js's imports, main.js and its graph), the
// worker's by importing worker/handlers.js and its whole graph together (worker.js,
// WORKER_MODULES). Both lists are written by hand; these tests keep them equal to the import graph,
// read from the sources.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { moduleGraph } from './module_graph.mjs';

const web = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'web');
const src = (file) => path.join(web, 'src', file);
const relative = (file) => path.relative(web, file).split(path.sep).join('/');
const html = readFileSync(path.join(web, 'index.html'), 'utf8');

const attribute = (tag, name) => tag.match(new RegExp(`\\b${name}\\s*=\\s*"([^"]*)"`))?.[1];
const tags = (pattern) => [...html.matchAll(pattern)].map((m) => m[0]);
const entries = tags(/<script\b[^>]*\btype="module"[^>]*>/g).map((tag) => attribute(tag, 'src'));
const preloads = tags(/<link\b[^>]*>/g).filter((tag) => attribute(tag, 'rel') === 'modulepreload')
  .map((tag) => attribute(tag, 'href'));  // relative to web/, like the paths below

// The string literals of the array `name` in a source file, as paths relative to web/.
function listIn(file, name) {
  const list = readFileSync(file, 'utf8').match(new RegExp(`const ${name} = \\[([\\s\\S]*?)\\];`));
  assert.ok(list, `${relative(file)} has no ${name}`);
  return [...list[1].matchAll(/'([^']+)'/g)].map((m) => relative(path.resolve(path.dirname(file), m[1])));
}

// `actual` holds exactly `expected`, once each, and every file exists; else the message gives the list.
function assertSameModules(actual, expected, where, format) {
  const missing = expected.filter((m) => !actual.includes(m));
  const extra = actual.filter((m) => !expected.includes(m));
  assert.deepEqual({ missing, extra }, { missing: [], extra: [] },
    `${where} differs from the import graph; it should be\n${expected.map(format).join('\n')}\n`);
  assert.equal(new Set(actual).size, actual.length, `${where}: a module is listed twice`);
  for (const m of actual) assert.ok(existsSync(path.join(web, m)), `${where}: ${m} does not exist`);
}

test('the page has one module entry, src/boot.js, requested before the preloads', () => {
  assert.deepEqual(entries, ['src/boot.js']);
  assert.ok(html.indexOf('src="src/boot.js"') < html.indexOf('rel="modulepreload"'));
});

test('index.html preloads every module the page can load, and nothing else', () => {
  const expected = moduleGraph(src('boot.js'), { dynamic: true }).slice(1).map(relative);  // the entry is the <script>
  assertSameModules(preloads, expected, "web/index.html's modulepreload links",
    (m) => `  <link rel="modulepreload" href="${m}">`);
});

test('the worker is not preloaded: its modules load in the worker, which would fetch them again', () => {
  for (const m of preloads) assert.ok(m !== 'src/worker.js' && !m.startsWith('src/worker/') && !m.startsWith('wasm/'), m);
});

test('worker.js imports worker/handlers.js and its whole graph at once, and nothing else', () => {
  assert.deepEqual(moduleGraph(src('worker.js')).map(relative), ['src/worker.js'], 'worker.js has no static imports');
  const expected = moduleGraph(src('worker/handlers.js')).map(relative);
  assertSameModules(listIn(src('worker.js'), 'WORKER_MODULES'), expected, "worker.js's WORKER_MODULES",
    (m) => `  '${path.posix.relative('src', m).replace(/^(?!\.)/, './')}',`);
  assert.equal(listIn(src('worker.js'), 'WORKER_MODULES')[0], 'src/worker/handlers.js', 'worker.js calls its serve()');
});

test('the import graph reader finds each kind of import', () => {
  const all = moduleGraph(src('boot.js'), { dynamic: true }).map(relative);
  assert.ok(all.includes('src/ui/feature.js'));     // static, from the entry
  assert.ok(all.includes('src/main.js'));           // dynamic: import('./main.js')
  assert.ok(all.includes('src/plots/axes.js'));     // static, three levels below main.js
  assert.ok(!all.includes('src/worker.js'));        // new Worker(new URL(...)) is not an import
  assert.ok(!moduleGraph(src('boot.js')).map(relative).includes('src/main.js'));  // static only
});
