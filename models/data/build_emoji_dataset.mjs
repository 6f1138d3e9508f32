#!/usr/bin/env node
// Builds the class-labelled emoji image set from permissively licensed npm packages and caches it.
//
//   node models/data/build_emoji_dataset.mjs [--size 32] [--out .cache/emoji-32] [--force]
//
// Identities and labels come from emoji-datasource (Unicode CLDR names, groups and subgroups); images come from
// the @iconify-json emoji sets listed in STYLES, rasterised with resvg on white. Output:
//   <out>/images.u8   N x size x size x 3 uint8 RGB, row-major
//   <out>/index.json  classes, styles, and one record per image (identity, style, class, split)
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const BUILDER_VERSION = 1;

/** Styles: each package's own licence (info.json) is checked against ALLOWED_LICENSES at build time. */
const STYLES = ['noto', 'twemoji', 'fluent-emoji-flat', 'fluent-emoji', 'emojione', 'fxemoji'];
const ALLOWED_LICENSES = new Set(['Apache-2.0', 'MIT', 'CC-BY-4.0']); // no share-alike, no non-commercial
/** A subgroup with fewer identities than this cannot be learned (about 1 held-out identity); it is merged. */
const MIN_IDENTITIES_PER_CLASS = 8;
const EVAL_FRACTION = 0.2;

function parseArgs(argv) {
  const args = { size: 32, out: null, force: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--size') args.size = Number(argv[++i]);
    else if (argv[i] === '--out') args.out = argv[++i];
    else if (argv[i] === '--force') args.force = true;
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  if (![16, 32, 64, 128].includes(args.size)) throw new Error(`--size must be 16, 32, 64 or 128, got ${args.size}`);
  args.out ??= path.join(here, '..', '..', '.cache', `emoji-${args.size}`);
  return args;
}

const slug = (s) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
const hashUnit = (s) => createHash('sha1').update(s).digest().readUInt32BE(0) / 2 ** 32;

/** Emoji identities from emoji-datasource: one per base emoji; skin-tone variants are left out (see README). */
function loadIdentities() {
  const emoji = require('emoji-datasource/emoji.json');
  return emoji
    .filter((e) => e.category !== 'Component') // skin-tone and hair swatches are not pictures of anything
    .map((e) => ({
      id: e.unified.toLowerCase(),
      codes: [e.unified, e.non_qualified].filter(Boolean).map((u) => u.toLowerCase()),
      name: (e.name ?? e.short_name).toLowerCase(),
      shortNames: e.short_names,
      group: e.category,
      subgroup: e.subcategory,
      order: e.sort_order,
    }))
    .sort((a, b) => a.order - b.order);
}

function loadStyle(style) {
  const info = require(`@iconify-json/${style}/info.json`);
  if (!ALLOWED_LICENSES.has(info.license.spdx)) throw new Error(`${style}: licence ${info.license.spdx} not allowed`);
  const icons = require(`@iconify-json/${style}/icons.json`);
  let chars = {};
  try { chars = require(`@iconify-json/${style}/chars.json`); } catch { /* name-matched style */ }
  const version = require(`@iconify-json/${style}/package.json`).version;
  return { style, info, icons, chars, version };
}

/** Finds an identity's icon name in a set: by code point (chars.json) when the set has one, else by CLDR name. */
function findIcon(set, ident, knownNames) {
  for (const code of ident.codes) {
    for (const key of [code, code.replace(/-fe0f/g, '')]) if (set.chars[key]) return set.chars[key];
  }
  const candidates = [...knownNames, slug(ident.name), ...ident.shortNames.map(slug)];
  return candidates.find((n) => set.icons.icons[n]) ?? null;
}

function iconSvg(set, name) {
  const icon = set.icons.icons[name];
  const w = icon.width ?? set.icons.width ?? 16, h = icon.height ?? set.icons.height ?? 16;
  const left = icon.left ?? set.icons.left ?? 0, top = icon.top ?? set.icons.top ?? 0;
  const side = Math.max(w, h); // square canvas, icon centred
  const vb = `${left - (side - w) / 2} ${top - (side - h) / 2} ${side} ${side}`;
  return `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="${vb}">${icon.body}</svg>`;
}

/**
 * Merges subgroups with too few identities into a neighbour of the same group: the previous subgroup in
 * Unicode order (Unicode orders subgroups so that neighbours are related), or the next one for a group's first.
 * The merged class keeps the name of its largest member.
 */
function buildClasses(identities) {
  const groups = new Map();
  for (const ident of identities) {
    if (!groups.has(ident.group)) groups.set(ident.group, new Map());
    const subs = groups.get(ident.group);
    if (!subs.has(ident.subgroup)) subs.set(ident.subgroup, []);
    subs.get(ident.subgroup).push(ident);
  }
  const classes = [];
  for (const [group, subs] of groups) {
    let parts = [...subs].map(([name, members]) => ({ names: [name], members }));
    for (;;) {
      const i = parts.findIndex((p) => p.members.length < MIN_IDENTITIES_PER_CLASS);
      if (i < 0 || parts.length === 1) break;
      const j = i > 0 ? i - 1 : 1;
      const [a, b] = i < j ? [i, j] : [j, i];
      parts.splice(a, 2, { names: [...parts[a].names, ...parts[b].names], members: [...parts[a].members, ...parts[b].members] });
    }
    for (const p of parts) {
      const largest = p.names.reduce((best, n) => (subs.get(n).length > subs.get(best).length ? n : best));
      classes.push({ name: largest, group, subgroups: p.names, members: p.members });
    }
  }
  return classes;
}

/** ~EVAL_FRACTION of identities per class, by a hash of the code point, at least one on each side. */
function splitIdentities(classes) {
  const split = new Map();
  for (const c of classes) {
    const ranked = [...c.members].sort((a, b) => hashUnit(a.id) - hashUnit(b.id));
    const nEval = Math.max(1, Math.round(ranked.length * EVAL_FRACTION));
    ranked.forEach((ident, k) => split.set(ident.id, k < nEval ? 'eval' : 'train'));
  }
  return split;
}

/** Renders jobs with `workers` child processes; a child that dies is replaced and its current job skipped. */
async function renderAll(jobs, size, workers) {
  const results = new Array(jobs.length).fill(null);
  let next = 0, done = 0;
  const runChild = () => new Promise((resolve) => {
    let current = null, buf = '';
    const child = spawn(process.execPath, [path.join(here, 'render_child.mjs')], { stdio: ['pipe', 'pipe', 'ignore'] });
    const feed = () => {
      if (next >= jobs.length) { child.stdin.end(); return; }
      current = next++;
      child.stdin.write(JSON.stringify({ i: current, svg: jobs[current].svg, size }) + '\n');
    };
    child.stdout.on('data', (d) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const msg = JSON.parse(buf.slice(0, nl)); buf = buf.slice(nl + 1);
        results[msg.i] = msg.rgb ? Buffer.from(msg.rgb, 'base64') : null;
        current = null; done++;
        if (done % 1000 === 0) process.stderr.write(`  rendered ${done}/${jobs.length}\n`);
        feed();
      }
    });
    child.on('exit', (code) => {
      if (current !== null) { // the renderer aborted on this icon: skip it, carry on in a new child
        process.stderr.write(`  renderer died (${code}) on ${jobs[current].style}/${jobs[current].icon}; skipped\n`);
        done++;
        resolve(runChild());
      } else resolve();
    });
    feed();
  });
  await Promise.all(Array.from({ length: workers }, runChild));
  return results;
}

function cacheKey(size, sets) {
  const versions = sets.map((s) => `${s.style}@${s.version}`).join(',');
  const ds = require('emoji-datasource/package.json').version;
  return `v${BUILDER_VERSION}:${size}:${versions}:emoji-datasource@${ds}:${MIN_IDENTITIES_PER_CLASS}:${EVAL_FRACTION}`;
}

function printCounts(index) {
  const rows = index.classes.map((c, k) => {
    const items = index.items.filter((it) => it.class === k);
    const tr = items.filter((it) => it.split === 'train').length;
    return `${String(k).padStart(3)}  ${c.group.padEnd(18)} ${c.name.padEnd(26)} train ${String(tr).padStart(4)}  eval ${String(items.length - tr).padStart(4)}  ids ${c.identities}`;
  });
  console.log(rows.join('\n'));
  const tr = index.items.filter((it) => it.split === 'train').length;
  console.log(`classes ${index.classes.length}  images ${index.items.length} (train ${tr}, eval ${index.items.length - tr})`);
  console.log('per style: ' + index.styles.map((s, k) => `${s.style} ${index.items.filter((it) => it.style === k).length}`).join(', '));
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const sets = STYLES.map(loadStyle);
  const key = cacheKey(args.size, sets);
  const indexPath = path.join(args.out, 'index.json');
  if (!args.force && fs.existsSync(indexPath)) {
    const cached = JSON.parse(fs.readFileSync(indexPath, 'utf8'));
    if (cached.cacheKey === key) { console.log(`cached: ${args.out}`); printCounts(cached); return; }
  }
  const identities = loadIdentities();
  const jobs = [];
  for (const ident of identities) {
    const knownNames = sets.map((s) => findIcon({ ...s, icons: { icons: {} } }, ident, [])).filter(Boolean);
    sets.forEach((set, styleIndex) => {
      const icon = findIcon(set, ident, knownNames);
      if (icon && set.icons.icons[icon]) jobs.push({ ident, styleIndex, style: set.style, icon, svg: iconSvg(set, icon) });
    });
  }
  const present = new Set(jobs.map((j) => j.ident.id));
  const classes = buildClasses(identities.filter((i) => present.has(i.id)));
  const classOf = new Map();
  classes.forEach((c, k) => c.members.forEach((m) => classOf.set(m.id, k)));
  const split = splitIdentities(classes);

  console.log(`rendering ${jobs.length} icons of ${present.size} identities at ${args.size}x${args.size} ...`);
  const t0 = Date.now();
  const rendered = await renderAll(jobs, args.size, 2);
  const items = [], chunks = [];
  const skipped = [];
  jobs.forEach((j, k) => {
    if (!rendered[k]) { skipped.push(`${j.style}/${j.icon}`); return; }
    chunks.push(rendered[k]);
    items.push({ identity: j.ident.id, name: j.ident.name, style: j.styleIndex, class: classOf.get(j.ident.id), split: split.get(j.ident.id) });
  });
  fs.mkdirSync(args.out, { recursive: true });
  fs.writeFileSync(path.join(args.out, 'images.u8'), Buffer.concat(chunks));
  const index = {
    cacheKey: key, size: args.size, count: items.length,
    classes: classes.map((c) => ({ name: c.name, group: c.group, subgroups: c.subgroups, identities: c.members.length })),
    styles: sets.map((s) => ({ style: s.style, package: `@iconify-json/${s.style}@${s.version}`, license: s.info.license.spdx,
      author: s.info.author.name, url: s.info.author.url, licenseUrl: s.info.license.url })),
    skipped, minIdentitiesPerClass: MIN_IDENTITIES_PER_CLASS, evalFraction: EVAL_FRACTION, items,
  };
  fs.writeFileSync(indexPath, JSON.stringify(index));
  console.log(`rendered in ${((Date.now() - t0) / 1000).toFixed(1)} s; skipped ${skipped.length}: ${skipped.slice(0, 10).join(', ')}`);
  printCounts(index);
}

main().catch((e) => { console.error(e.stack ?? e); process.exit(1); });
