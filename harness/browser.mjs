// Shared by e2e/ and bench/: Debian's Chromium through playwright-core, with the flags of RECIPES.md (SwiftShader
// WebGPU in headless mode), one fresh profile per browser.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--enable-unsafe-webgpu',
];

/**
 * A fresh browser profile (so no model cache survives between scenarios) and one page with its problems logged.
 * The viewport is a desktop window unless `viewport` / `deviceScaleFactor` say otherwise (e.g. a phone).
 * `prepareProfile(dir)` may write into the profile before Chromium starts (e.g. Default/Preferences); `extraArgs`
 * are added to the command line.
 */
export async function openBrowser({ viewport = { width: 1280, height: 900 }, deviceScaleFactor = 1, prepareProfile, extraArgs = [] } = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'nestar-e2e-'));
  prepareProfile?.(profile);
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...ARGS, ...extraArgs],
    viewport,
    deviceScaleFactor,
    colorScheme: process.env.E2E_COLOR_SCHEME === 'light' ? 'light' : 'dark',
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const problems = { pageErrors: [], consoleErrors: [] };
  page.on('pageerror', (e) => problems.pageErrors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.consoleErrors.push(m.text());
  });
  return {
    page,
    context,
    problems,
    async close() {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
