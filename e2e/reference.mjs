// Reference images for the e2e comparison, computed in Node by src's scheduler (not by the page under test), from
// e2e/reference-entry.ts bundled for Node (scripts/node-bundle.mjs) once per run, whatever the number of models.
import { join } from 'node:path';
import { importTypeScriptEntry } from '../scripts/node-bundle.mjs';
import { ROOT } from '../harness/server.mjs';

const OUT_DIR = join(ROOT, 'test-results', 'e2e-reference-build');
let bundled = null;

function bundle() {
  bundled ??= importTypeScriptEntry('e2e/reference-entry.ts', OUT_DIR);
  return bundled;
}

/**
 * `reference(request)` -> `{ image, previews }`: image 0 of that request and its preview at every scale
 * (`{ scale, grid, image }`, coarse to fine), generated in Node from the model folder the page is served.
 */
export function createReference(model) {
  let opened = null;
  const open = async () => {
    opened ??= bundle().then((m) => m.openReferenceModel(model.dir));
    return opened;
  };
  const reference = async (request) => {
    const ref = await open();
    const { images, previews } = await ref.generate({ ...request, batch: 1 });
    return { image: images[0], previews };
  };
  reference.close = async () => {
    if (opened) await (await opened).close();
  };
  return reference;
}
