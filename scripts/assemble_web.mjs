// Assembles the static site into web/dist: the page's files from web/ plus the WebAssembly module.
// The folder works from any static host (no server-side code, relative URLs only).
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const web = path.join(root, 'web');
const dist = path.join(web, 'dist');
const wasm = path.join(root, 'build-wasm', 'bin');

for (const file of ['diffuse.mjs', 'diffuse.wasm']) {
  if (!existsSync(path.join(wasm, file))) {
    console.error(`assemble_web: ${path.join(wasm, file)} is missing: run scripts/build.sh`);
    process.exit(1);
  }
}
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
for (const entry of ['index.html', 'styles.css', 'src']) {
  if (existsSync(path.join(web, entry))) cpSync(path.join(web, entry), path.join(dist, entry), { recursive: true });
}
mkdirSync(path.join(dist, 'wasm'), { recursive: true });
for (const file of ['diffuse.mjs', 'diffuse.wasm']) cpSync(path.join(wasm, file), path.join(dist, 'wasm', file));
console.log(`assemble_web: wrote ${path.relative(root, dist)}`);
