// The model folders of the e2e run inside the built site: the page's default model and a corrupted copy of it.
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DIST } from '../harness/server.mjs';

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
