// Draws evaluation samples from an exported model folder with the page's sampler (sample-entry.ts), in Node.
//   node models/eval/sample_onnx.mjs <plan.json>
// Prints one JSON line {"count", "size", "seconds"} when the images are written; progress goes to stderr.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT, importTypeScriptEntry } from '../../scripts/node-bundle.mjs';

const [planPath] = process.argv.slice(2);
if (!planPath) {
  console.error('usage: node models/eval/sample_onnx.mjs <plan.json>');
  process.exit(2);
}
const plan = JSON.parse(await readFile(planPath, 'utf8'));
const { samplePlan } = await importTypeScriptEntry('models/eval/sample-entry.ts', join(ROOT, '.cache', 'eval-build'));
const result = await samplePlan(plan, (line) => console.error(line));
console.log(JSON.stringify(result));
