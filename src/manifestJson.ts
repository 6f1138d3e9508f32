/**
 * Small typed readers over parsed JSON for manifest.ts: each returns a typed value or throws MANIFEST_INVALID with
 * the JSON path of the field and what was wrong with it, so every manifest error names its field.
 */
import { NestarError } from './errors';

export type Json = Record<string, unknown>;

export function invalid(path: string, what: string): NestarError {
  return new NestarError('MANIFEST_INVALID', `manifest.json: ${path} ${what}`);
}

export function describe(v: unknown): string {
  if (v === undefined) return 'is missing';
  return `is ${JSON.stringify(v)?.slice(0, 60) ?? String(v)}`;
}

export function obj(parent: Json, key: string, path: string): Json {
  const v = parent[key];
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalid(`${path}${key}`, `must be an object, ${describe(v)}`);
  return v as Json;
}

export function str(parent: Json, key: string, path: string, optional = false): string {
  const v = parent[key];
  if (optional && v === undefined) return '';
  if (typeof v !== 'string') throw invalid(`${path}${key}`, `must be a string, ${describe(v)}`);
  return v;
}

export function num(parent: Json, key: string, path: string): number {
  const v = parent[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw invalid(`${path}${key}`, `must be a finite number, ${describe(v)}`);
  return v;
}

export function int(parent: Json, key: string, path: string, min = -Infinity): number {
  const v = num(parent, key, path);
  if (!Number.isInteger(v)) throw invalid(`${path}${key}`, `must be an integer, is ${v}`);
  if (v < min) throw invalid(`${path}${key}`, `must be >= ${min}, is ${v}`);
  return v;
}

export function arr(parent: Json, key: string, path: string): unknown[] {
  const v = parent[key];
  if (!Array.isArray(v)) throw invalid(`${path}${key}`, `must be an array, ${describe(v)}`);
  return v;
}

export function intArray(parent: Json, key: string, path: string, min: number, max: number): number[] {
  const a = arr(parent, key, path);
  a.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw invalid(`${path}${key}[${i}]`, `must be an integer in [${min}, ${max}], is ${JSON.stringify(v)}`);
    }
  });
  return a as number[];
}

export function strArray(parent: Json, key: string, path: string): string[] {
  const a = arr(parent, key, path);
  a.forEach((v, i) => {
    if (typeof v !== 'string') throw invalid(`${path}${key}[${i}]`, `must be a string, ${describe(v)}`);
  });
  return a as string[];
}

/** [min, max] inclusive range. */
export function range(parent: Json, key: string, path: string, integer: boolean, min: number): [number, number] {
  const a = arr(parent, key, path);
  const [lo, hi] = a;
  const ok = (v: unknown): v is number =>
    typeof v === 'number' && Number.isFinite(v) && (!integer || Number.isInteger(v)) && v >= min;
  if (a.length !== 2 || !ok(lo) || !ok(hi) || lo > hi) {
    throw invalid(`${path}${key}`, `must be [min, max] with ${integer ? 'integers' : 'numbers'} >= ${min} and min <= max, ${describe(a)}`);
  }
  return [lo, hi];
}

/** A scalar or a 3-vector (per RGB channel), as a 3-vector. */
export function rgb(parent: Json, key: string, path: string, positive: boolean): [number, number, number] {
  const v = parent[key];
  const values = typeof v === 'number' ? [v, v, v] : Array.isArray(v) && v.length === 3 ? v : null;
  if (!values || !values.every((x) => typeof x === 'number' && Number.isFinite(x) && (!positive || x > 0))) {
    throw invalid(`${path}${key}`, `must be a ${positive ? 'positive ' : ''}number or 3 of them, ${describe(v)}`);
  }
  return values as [number, number, number];
}

export function sameNames(got: string[], want: string[], path: string): void {
  const g = [...got].sort().join(',');
  const w = [...want].sort().join(',');
  if (g !== w) throw invalid(path, `must list exactly [${want.join(', ')}], is [${got.join(', ')}]`);
}
