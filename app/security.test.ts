/**
 * Issue 11, item 8: the site's headers have one source (siteHeaders.mjs) that public/_headers repeats for static
 * hosts, and no code of the page or the library inserts text as HTML (manifest text reaches the DOM only as React
 * text children, which are escaped). e2e (v) and (x) check the same in Chromium.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY, siteHeaders } from '../siteHeaders.mjs';

const ROOT = join(__dirname, '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(ts|tsx)$/.test(name) && !name.endsWith('.test.ts') ? [path] : [];
  });
}

describe('security', () => {
  it('public/_headers sends exactly the headers of siteHeaders.mjs', () => {
    const lines = readFileSync(join(ROOT, 'public', '_headers'), 'utf8').split('\n');
    const sent = Object.fromEntries(
      lines.filter((l) => /^\s+\S+: /.test(l)).map((l) => {
        const [name, ...value] = l.trim().split(': ');
        return [name, value.join(': ')];
      }),
    );
    expect(sent).toEqual(siteHeaders());
  });

  it('the CSP allows only this origin for scripts, workers and connections, plus wasm-unsafe-eval', () => {
    const directives = Object.fromEntries(CONTENT_SECURITY_POLICY.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1).join(' ')]));
    expect(directives['script-src']).toBe("'self' 'wasm-unsafe-eval'");
    expect(directives['worker-src']).toBe("'self'");
    expect(directives['connect-src']).toBe("'self'");
    expect(CONTENT_SECURITY_POLICY).not.toContain("'unsafe-eval'");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/https?:|\*/);
  });

  it('no source inserts HTML (dangerouslySetInnerHTML, innerHTML, outerHTML, insertAdjacentHTML, document.write)', () => {
    const offenders = [...sources(join(ROOT, 'app')), ...sources(join(ROOT, 'src'))].filter((file) =>
      /dangerouslySetInnerHTML|\.innerHTML|\.outerHTML|insertAdjacentHTML|document\.write/.test(readFileSync(file, 'utf8')),
    );
    expect(offenders).toEqual([]);
  });
});
