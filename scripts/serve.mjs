// A static file server for web/dist on 127.0.0.1 (PORT, default 8000). No dependencies.
// It makes the page cross-origin isolated (COOP/COEP headers), so that the page can run its threaded
// WebAssembly module (SharedArrayBuffer; docs/threads.md); startServer({ isolate: false }) serves
// without them, as a plain static host would.
import { createServer } from 'node:http';
import { createReadStream, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = process.argv[2] ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'web', 'dist');
const port = Number(process.env.PORT ?? 8000);
const host = process.env.HOST ?? '127.0.0.1';
const types = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm', '.json': 'application/json', '.png': 'image/png',
  '.svg': 'image/svg+xml', '.csv': 'text/csv', '.safetensors': 'application/octet-stream',
};

const ISOLATION_HEADERS = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
};

export function startServer({ dir = root, listenPort = port, listenHost = host, isolate = true } = {}) {
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    let file = path.normalize(path.join(dir, decodeURIComponent(url.pathname)));
    if (!file.startsWith(path.resolve(dir))) {
      res.writeHead(403).end('forbidden');
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = path.join(file, 'index.html');
    if (!existsSync(file)) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, {
      'content-type': types[path.extname(file)] ?? 'application/octet-stream',
      'cache-control': 'no-cache',
      ...(isolate ? ISOLATION_HEADERS : {}),
    });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(listenPort, listenHost, () => resolve(server)));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (!existsSync(path.join(root, 'index.html'))) {
    console.error(`serve: ${root}/index.html is missing: run scripts/build.sh first`);
    process.exit(1);
  }
  const server = await startServer();
  const { port: actual } = server.address();
  console.log(`diffuse is running at http://${host}:${actual}/  (Ctrl+C to stop)`);
}
