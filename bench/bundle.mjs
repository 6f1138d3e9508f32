// bench/entry.ts and the src/ files it imports, bundled for Node (scripts/node-bundle.mjs).
import { join } from 'node:path';
import { ROOT, importTypeScriptEntry } from '../scripts/node-bundle.mjs';

export { ROOT };

export function loadEntry() {
  return importTypeScriptEntry('bench/entry.ts', join(ROOT, '.cache', 'bench-build'));
}
