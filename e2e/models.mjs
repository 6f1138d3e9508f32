// The model folders of the e2e run inside the built site: the page's default model, any other listed model, and a
// corrupted copy.
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { DIST } from '../harness/server.mjs';

function modelIndex() {
  const indexPath = join(DIST, 'models', 'index.json');
  if (!existsSync(indexPath)) throw new Error('dist/models/index.json is missing: public/models/index.json did not build');
  return JSON.parse(readFileSync(indexPath, 'utf8'));
}

/**
 * The files a page load downloads and stores: all but the heads of the solver that is not the default, which come
 * at the first generation with that solver (src/manifest.ts loadFiles, the rule's one home; this reads the raw JSON).
 */
export function loadFileNames(manifest) {
  const fewStepDefault = manifest.sampling.defaults.solver === 'few_step';
  const onDemand = new Set(manifest.modules.map((m) => (fewStepDefault ? m.flow_head : m.few_step)).filter(Boolean));
  return Object.keys(manifest.files).filter((f) => !onDemand.has(f));
}

/** Model `id` of the built site: `{ id, dir, manifest, loadFiles }` (loadFiles: what a load stores). */
export function modelFolder(id) {
  const dir = join(DIST, 'models', id);
  const manifestPath = join(dir, 'manifest.json');
  if (!existsSync(manifestPath)) {
    throw new Error(`model "${id}" has no manifest at public/models/${id}/manifest.json (export it first)`);
  }
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  return { id, dir, manifest, loadFiles: loadFileNames(manifest) };
}

/** The model the page loads by default, from the built site's models/index.json (E2E_MODEL=<id> overrides it). */
export function defaultModel() {
  return modelFolder(process.env.E2E_MODEL ?? modelIndex().default);
}

/** Whether models/index.json lists `id` (so the page's model switcher offers it). */
export function listedInIndex(id) {
  return modelIndex().models.some((m) => m.id === id);
}

/**
 * dist/models/<copyId>/: the model with one byte of one ONNX file flipped (its manifest keeps the old sha256): the
 * decoder for a latent model (the file pixel-patch models do not have), else the first module file.
 */
export function makeCorruptCopy(model, copyId) {
  const dir = join(DIST, 'models', copyId);
  rmSync(dir, { recursive: true, force: true });
  cpSync(model.dir, dir, { recursive: true });
  const onnx = Object.keys(model.manifest.files ?? {}).filter((f) => f.endsWith('.onnx'));
  const decoder = model.manifest.tokens?.decoder;
  const name = onnx.includes(decoder) ? decoder : onnx[0];
  if (!name) throw new Error('the manifest lists no .onnx file to corrupt');
  const path = join(dir, name);
  const bytes = readFileSync(path);
  const at = Math.floor(bytes.length / 2);
  bytes[at] ^= 0xff;
  writeFileSync(path, bytes);
  return { id: copyId, file: name, offset: at };
}

/**
 * dist/models/<copyId>/: a copy of `model` whose manifest is changed by `edit(manifest, dir)` (which may also
 * rewrite files in `dir`; `rehash(dir, manifest, file)` then records the file's new size and sha256). The
 * manifest's id becomes copyId unless `edit` sets another, so the copy's cache entries are its own.
 */
export function makeEditedCopy(model, copyId, edit) {
  const dir = join(DIST, 'models', copyId);
  rmSync(dir, { recursive: true, force: true });
  cpSync(model.dir, dir, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  manifest.id = copyId;
  const out = edit(manifest, dir) ?? manifest;
  writeFileSync(join(dir, 'manifest.json'), typeof out === 'string' ? out : JSON.stringify(out));
  return { id: copyId, dir, manifest: typeof out === 'string' ? null : out };
}

/** Records `file`'s current size and sha256 in `manifest.files` (after the file was rewritten in `dir`). */
export function rehash(dir, manifest, file) {
  const bytes = readFileSync(join(dir, file));
  manifest.files[file] = { bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** Replaces every occurrence of `from` with `to` (same length, so the protobuf stays valid) in `dir/file`. */
export function replaceBytes(dir, file, from, to) {
  if (from.length !== to.length) throw new Error('replaceBytes keeps lengths equal');
  const path = join(dir, file);
  const bytes = readFileSync(path);
  const needle = Buffer.from(from);
  let count = 0;
  for (let at = bytes.indexOf(needle); at >= 0; at = bytes.indexOf(needle, at + 1)) {
    Buffer.from(to).copy(bytes, at);
    count++;
  }
  if (count === 0) throw new Error(`${file} does not contain "${from}"`);
  writeFileSync(path, bytes);
  return count;
}
