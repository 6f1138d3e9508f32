// Shared by e2e/ and bench/: build the app into dist/ (`npm run build`) and serve dist/ with `vite preview` on a free
// port. What goes into dist/models/ is each caller's business (e2e/models.mjs, bench/browser.mjs).
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const ROOT = new URL('..', import.meta.url).pathname;
export const DIST = join(ROOT, 'dist');

export function build() {
  const started = Date.now();
  const result = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) {
    process.stdout.write(result.stdout ?? '');
    process.stderr.write(result.stderr ?? '');
    throw new Error(`npm run build failed (exit ${result.status})`);
  }
  return Date.now() - started;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * `vite preview` of dist/ on a free port; resolves once it answers. It sends the COOP/COEP headers of vite.config.ts
 * (the page is cross-origin isolated and runs threaded WASM); `{ isolated: false }` leaves them out, as a static host
 * that cannot set headers would.
 */
export async function startPreview({ isolated = true } = {}) {
  const port = await freePort();
  const child = spawn(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'preview', '--host', '127.0.0.1', '--port', String(port), '--strictPort'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NESTAR_NO_ISOLATION: isolated ? '0' : '1' },
  });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  const url = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`vite preview exited (${child.exitCode}):\n${log}`);
    try {
      const response = await fetch(url);
      if (response.ok) return { url, port, stop: () => stop(child) };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  stop(child);
  throw new Error(`vite preview did not answer on ${url} within 30 s:\n${log}`);
}

function stop(child) {
  if (child.exitCode === null) child.kill('SIGTERM');
}
