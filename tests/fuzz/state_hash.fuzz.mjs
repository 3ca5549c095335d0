// A fuzz loop for the page's settings parser (web/src/state.js, fromHash): random and mutated URL
// hashes, each of which must give valid settings and report every ignored entry, never throw.
//
// Usage: node tests/fuzz/state_hash.fuzz.mjs [--seconds N] [--seed S] [CORPUS_DIR]
//   CORPUS_DIR (default tests/fuzz/corpus/state_hash) holds seed files, one hash per line.
// Needs web/src/core_settings.js, which the WebAssembly build writes (scripts/build.sh).
//
// For every input, fromHash(input) returns { values, problems } where
//   - values has exactly the declared settings, each valid for its declaration (parseValue of its
//     formatted value gives it back), and the data set is never 'custom' (not shareable);
//   - problems is an array of strings, with `unknown setting "NAME"` for every name that is not
//     a setting, and one entry for every ignored value;
//   - the settings that apply to the data's kind survive toHash and fromHash unchanged.
// A failure prints the input (as JSON) and the seed, and exits 1.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SETTINGS, appliesTo, byName, formatValue, fromHash, kindOf, parseValue, toHash } from '../../web/src/state.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const [value] = args.splice(i, 2).slice(1);
  return Number(value);
};
const seconds = option('--seconds', 10);
const seed = option('--seed', Date.now() % 2 ** 31);
const corpus = args[0] ?? join(here, 'corpus', 'state_hash');

// A small seeded generator (mulberry32), so that a failure can be replayed with --seed.
let state = seed >>> 0;
function random() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
}
const below = (n) => Math.floor(random() * n);
const pick = (list) => list[below(list.length)];

const seeds = readdirSync(corpus).flatMap((f) => readFileSync(join(corpus, f), 'utf8').split('\n'))
  .filter((line) => line !== '');

// Pieces a hash is made of: the settings' names and allowed values, numbers at and past their
// limits, URL syntax and its escapes, names every object inherits, and odd characters.
const tokens = [
  ...SETTINGS.map((d) => d.name),
  ...SETTINGS.flatMap((d) => [d.values ?? [], d.choices ?? [], d.min ?? [], d.max ?? [], d.default ?? []].flat())
    .map(String),
  '#', '&', '=', '%', '+', ' ', '\t', '\n', '%20', '%26', '%3D', '%2C', '%00', '%zz', '%E2%82%AC', '%F0%9F',
  '__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', 'length',
  'NaN', 'Infinity', '-Infinity', '1e309', '-0', '0x10', '1_000', '.5', '5.', '1e-400', '9007199254740993',
  '2147483647', '2147483648', '-1', 'true', 'false', 'null', 'undefined', '[]', '{}', 'é', '€', '\u0000',
  '\ud800', '😀', 'custom', 'all',
];

function mutate(text) {
  let out = text;
  for (let k = 1 + below(4); k > 0; --k) {
    const at = below(out.length + 1);
    switch (below(6)) {
      case 0: out = out.slice(0, at) + pick(tokens) + out.slice(at); break;                    // insert a token
      case 1: out = out.slice(0, at) + out.slice(at + 1 + below(8)); break;                    // delete
      case 2: out = out.slice(0, at) + String.fromCharCode(below(0x3000)) + out.slice(at + 1); break;
      case 3: out = `${out}&${pick(tokens)}=${pick(tokens)}`; break;                            // append an entry
      case 4: out = out.slice(0, at) + pick(seeds).slice(below(20)); break;                     // splice a seed
      default: out = out.replace(/=[^&]*/, `=${pick(tokens)}`); break;                          // replace a value
    }
  }
  return out;
}

function randomHash() {
  const entries = Array.from({ length: below(8) }, () => `${pick(tokens)}=${pick(tokens)}`);
  return (random() < 0.5 ? '#' : '') + entries.join(pick(['&', '&&', ';', '&amp;']));
}

function check(hash) {
  const result = fromHash(hash);
  const { values, problems } = result;
  assert.deepEqual(Object.keys(result).sort(), ['problems', 'values']);
  assert.ok(Array.isArray(problems) && problems.every((p) => typeof p === 'string'), 'problems are strings');
  assert.deepEqual(Object.keys(values).sort(), SETTINGS.map((d) => d.name).sort(), 'exactly the settings');
  for (const decl of SETTINGS) {
    const value = values[decl.name];  // === : a link's -0 is the setting 0
    assert.ok(parseValue(decl, formatValue(decl, value)) === value,
      `${decl.name} = ${JSON.stringify(value)} is valid for its declaration`);
  }
  assert.notEqual(values.dataset, 'custom', 'custom data never comes from a link');
  const params = [...new URLSearchParams(String(hash).replace(/^#/, ''))];
  for (const [name] of params) {
    if (!Object.hasOwn(byName, name)) {
      assert.ok(problems.includes(`unknown setting "${name}"`), `unknown setting ${JSON.stringify(name)} reported`);
    }
  }
  const ignored = params.filter(([name, text]) => !Object.hasOwn(byName, name) ||
    parseValue(byName[name], text) === undefined).length;
  assert.ok(problems.length >= ignored, 'every ignored entry is reported');
  const again = fromHash(toHash(values));
  assert.deepEqual(again.problems, [], 'its own hash has no problems');
  const kind = kindOf(values.dataset);
  for (const decl of SETTINGS.filter((d) => appliesTo(d, kind))) {
    assert.ok(again.values[decl.name] === values[decl.name], `${decl.name} survives toHash and fromHash`);
  }
}

let runs = 0;
function run(hash) {
  try {
    check(hash);
    ++runs;
  } catch (error) {
    console.error(`state_hash fuzz: failure on input ${JSON.stringify(hash)} (seed ${seed}, run ${runs})`);
    console.error(error);
    process.exit(1);
  }
}

const start = Date.now();
seeds.forEach(run);
while (Date.now() - start < seconds * 1000) {
  for (let i = 0; i < 200; ++i) run(random() < 0.8 ? mutate(pick(seeds)) : randomHash());
}
console.log(`state_hash fuzz: ${runs} inputs in ${((Date.now() - start) / 1000).toFixed(1)} s, no failure ` +
  `(seed ${seed}, ${seeds.length} seed hashes)`);
