// A static server of dist/ (the same headers as `vite preview`: siteHeaders.mjs) that can misbehave on purpose, for
// the fault scenarios (e2e/faults.mjs). Faults are set per path while it runs:
//
//   server.fault('/models/x/decoder.onnx', { kind: 'drop' })     headers promise the whole file, half is sent, the
//                                                               connection is cut
//   { kind: 'status', status: 500 }                              an HTTP error
//   { kind: 'slow', bytesPerSecond: 50_000 }                     trickles the body
//   { kind: 'truncate' }                                         a shorter file, with a matching Content-Length
//   server.fault(path, null)                                     behaves again
//
// `server.requests` lists every request (method, path, fault applied); `stop()` closes it and every open connection
// (the machine is then "offline" for this origin); `restart()` listens on the same port again.
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { siteHeaders } from '../siteHeaders.mjs';
import { DIST } from './server.mjs';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.md': 'text/markdown; charset=utf-8',
};

export async function startFaultServer({ root = DIST, isolated = true } = {}) {
  const faults = new Map();
  const requests = [];
  const sockets = new Set();
  const headers = siteHeaders({ isolated });

  const handler = (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const fault = faults.get(path) ?? null;
    requests.push({ method: req.method, path, fault: fault?.kind ?? null, at: Date.now() });
    let file = normalize(join(root, path));
    if (!file.startsWith(root)) return send(res, 403, 'forbidden');
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file)) return send(res, 404, 'not found');
    // Every response is revalidated (no validators, so refetched): a fault set later is never hidden by the HTTP cache.
    const common = { ...headers, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-cache' };
    if (fault?.kind === 'status') return send(res, fault.status, `injected HTTP ${fault.status}`);
    const size = statSync(file).size;
    if (fault?.kind === 'truncate') {
      const bytes = readFileSync(file).subarray(0, Math.floor(size / 2));
      res.writeHead(200, { ...common, 'Content-Length': bytes.length });
      return res.end(bytes);
    }
    res.writeHead(200, { ...common, 'Content-Length': size });
    if (req.method === 'HEAD') return res.end();
    if (fault?.kind === 'drop') {
      const half = readFileSync(file).subarray(0, Math.floor(size / 2));
      res.write(half, () => setTimeout(() => res.socket?.destroy(), 50));
      return;
    }
    if (fault?.kind === 'slow') return trickle(res, readFileSync(file), fault.bytesPerSecond ?? 50_000);
    createReadStream(file).pipe(res);
  };

  const server = createServer(handler);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  const url = `http://127.0.0.1:${port}/`;

  const close = () =>
    new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });

  return {
    url,
    port,
    requests,
    fault(path, fault) {
      if (fault) faults.set(path, fault);
      else faults.delete(path);
    },
    clearFaults: () => faults.clear(),
    stop: close,
    restart: () => new Promise((resolve) => server.listen(port, '127.0.0.1', resolve)),
  };
}

function send(res, status, text) {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache' });
  res.end(text);
}

/** Writes `bytes` in 10 pieces a second at `bytesPerSecond`; stops when the client goes away. */
function trickle(res, bytes, bytesPerSecond) {
  const piece = Math.max(1, Math.floor(bytesPerSecond / 10));
  let at = 0;
  const timer = setInterval(() => {
    if (res.destroyed || at >= bytes.length) {
      clearInterval(timer);
      if (!res.destroyed) res.end();
      return;
    }
    res.write(bytes.subarray(at, at + piece));
    at += piece;
  }, 100);
  res.on('close', () => clearInterval(timer));
}
