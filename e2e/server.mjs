// Build the app, prepare the test's model copies inside dist/, and serve dist/ with `vite preview` on a free port.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

/** The model the page loads by default, from the built site's models/index.json (E2E_MODEL=<id> overrides it). */
export function defaultModel() {
  const indexPath = join(DIST, 'models', 'index.json');
  if (!existsSync(indexPath)) throw new Error('dist/models/index.json is missing: public/models/index.json did not build');
  const index = JSON.parse(readFileSync(indexPath, 'utf8'));
  const id = process.env.E2E_MODEL ?? index.default;
  const dir = join(DIST, 'models', id);
  const manifestPath = join(dir, 'manifest.json');
  if (!existsSync(manifestPath)) {
    throw new Error(`model "${id}" has no manifest at public/models/${id}/manifest.json (export it first)`);
  }
  return { id, dir, manifest: JSON.parse(readFileSync(manifestPath, 'utf8')) };
}

/** dist/models/<copyId>/: the model with one byte of its first ONNX file flipped (its manifest keeps the old sha256). */
export function makeCorruptCopy(model, copyId) {
  const dir = join(DIST, 'models', copyId);
  rmSync(dir, { recursive: true, force: true });
  cpSync(model.dir, dir, { recursive: true });
  const name = Object.keys(model.manifest.files ?? {}).find((f) => f.endsWith('.onnx'));
  if (!name) throw new Error('the manifest lists no .onnx file to corrupt');
  const path = join(dir, name);
  const bytes = readFileSync(path);
  const at = Math.floor(bytes.length / 2);
  bytes[at] ^= 0xff;
  writeFileSync(path, bytes);
  return { id: copyId, file: name, offset: at };
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

/** `vite preview` of dist/ on a free port; resolves once it answers. */
export async function startPreview() {
  const port = await freePort();
  const child = spawn(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'preview', '--host', '127.0.0.1', '--port', String(port), '--strictPort'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
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
