#!/usr/bin/env node
// Screenshots of NestAR Studio after a generation on WASM, at desktop and phone width, for looking at the layout
// and for the README's docs/screenshot.png.
//
//   node scripts/screenshots.mjs [--no-build] [--model=<id>] [--docs]
//
// Writes test-results/screens/{desktop,desktop-about,desktop-batch,phone,phone-about}.png (full pages); --docs also
// copies desktop-batch.png to docs/screenshot.png. The page loads its default model unless --model names another.
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openBrowser } from '../harness/browser.mjs';
import { clickGenerate, openStudio, setForm, waitRunEnd } from '../harness/page.mjs';
import { build, ROOT, startPreview } from '../harness/server.mjs';

const args = process.argv.slice(2);
const modelId = args.find((a) => a.startsWith('--model='))?.slice('--model='.length);
const OUT = join(ROOT, 'test-results', 'screens');
const SEED = 1234;
const CLASS = 'face-smiling';

const VIEWS = {
  desktop: { viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 },
  phone: { viewport: { width: 375, height: 812 }, deviceScaleFactor: 2 },
};

async function generate(page, form) {
  await setForm(page, form);
  await clickGenerate(page);
  const end = await waitRunEnd(page, 300_000);
  if (end.status !== 'done') throw new Error(`run ended ${end.status}${end.banner ? `: ${end.banner}` : ''}`);
}

async function shot(page, name) {
  await page.evaluate(() => window.scrollTo(0, 0));
  const path = join(OUT, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  console.log(`  ${path}`);
  return path;
}

/** CSS sizes of the pictures (a whole multiple of the image's pixels upscales evenly) and any sideways overflow. */
async function layoutReport(page) {
  return page.evaluate(() => {
    const size = (el) => (el ? `${el.width}px -> ${el.clientWidth}x${el.clientHeight}` : 'none');
    return {
      stage: size(document.querySelector('[data-testid="preview-canvas"]')),
      filmstrip: [...document.querySelectorAll('[data-testid="scale-frame"] canvas')].map(size).join(', '),
      pageWidth: `${document.documentElement.scrollWidth} (viewport ${window.innerWidth})`,
    };
  });
}

async function openAbout(page) {
  await page.locator('details.about > summary').click();
}

async function main() {
  mkdirSync(OUT, { recursive: true });
  if (!args.includes('--no-build')) console.log(`built the app in ${(build() / 1000).toFixed(1)} s`);
  const server = await startPreview();
  const params = { ep: 'wasm', ...(modelId ? { model: modelId } : {}) };
  try {
    for (const [name, view] of Object.entries(VIEWS)) {
      const browser = await openBrowser(view);
      try {
        const opened = await openStudio(browser.page, server.url, params, 300_000);
        if (!opened.ready) throw new Error(`model did not load: ${opened.message}`);
        await generate(browser.page, { classLabel: CLASS, seed: SEED, batch: 1 });
        await shot(browser.page, name);
        console.log(`  ${name}: ${JSON.stringify(await layoutReport(browser.page))}`);
        await openAbout(browser.page);
        await shot(browser.page, `${name}-about`);
        if (name === 'desktop') {
          await openAbout(browser.page); // closed again: the README shows the studio, not the model facts
          await generate(browser.page, { batch: 8 });
          const batchShot = await shot(browser.page, 'desktop-batch');
          if (args.includes('--docs')) {
            copyFileSync(batchShot, join(ROOT, 'docs', 'screenshot.png'));
            console.log('  copied to docs/screenshot.png');
          }
        }
        if (browser.problems.pageErrors.length) throw new Error(`page errors: ${browser.problems.pageErrors.join(' | ')}`);
      } finally {
        await browser.close();
      }
    }
  } finally {
    server.stop();
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
