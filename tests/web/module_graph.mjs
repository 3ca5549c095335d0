// The ES module graph of web/src, read from the sources: which modules a module imports, statically
// (import ... from, export ... from, bare import) and dynamically with a literal specifier
// (import('./x.js')). Relative specifiers only: the page has no bare ones. Enough for this code
// base's style (one statement per import, at the start of a line); not a JavaScript parser.
import { readFileSync } from 'node:fs';
import path from 'node:path';

const STATIC = [
  /^\s*import\s*['"]([^'"]+)['"]/gm,                            // import './x.js'
  /^\s*import\s+[^;'"()]*?\bfrom\s*['"]([^'"]+)['"]/gm,          // import { a } from './x.js'
  /^\s*export\s*(?:\*|\{)[^;'"]*?\bfrom\s*['"]([^'"]+)['"]/gm,   // export { a } from './x.js'
];
const DYNAMIC = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

const withoutComments = (source) => source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
const specifiers = (source, patterns) => patterns.flatMap((p) => [...source.matchAll(p)].map((m) => m[1]));

// The static and dynamic imports of one file, as absolute paths.
export function importsOf(file) {
  const source = withoutComments(readFileSync(file, 'utf8'));
  const resolve = (s) => path.resolve(path.dirname(file), s);
  return { static: specifiers(source, STATIC).map(resolve), dynamic: specifiers(source, [DYNAMIC]).map(resolve) };
}

// Every module `entry` loads before it runs: its static imports, theirs, and so on, breadth first,
// starting with the entry itself. With { dynamic: true }, also the modules of every literal
// dynamic import found on the way (recursively): every module a page with this entry can load.
export function moduleGraph(entry, { dynamic = false } = {}) {
  const seen = [path.resolve(entry)];
  for (let i = 0; i < seen.length; i++) {
    const imports = importsOf(seen[i]);
    for (const file of [...imports.static, ...(dynamic ? imports.dynamic : [])]) if (!seen.includes(file)) seen.push(file);
  }
  return seen;
}
