/**
 * NestarError: every failure the runtime reports carries a machine-readable `code` (types.ts ErrorCode) that the
 * UI switches on. Comlink's default 'throw' handler passes only name/message/stack across the worker boundary, so
 * `registerErrorTransfer()` extends it to carry `code` too; call it on both sides (worker.ts and client.ts do).
 */
import * as Comlink from 'comlink';
import type { ErrorCode } from './types';

const ERROR_CODES: readonly ErrorCode[] = [
  'MODEL_NOT_FOUND',
  'NETWORK',
  'MODEL_CORRUPT',
  'MANIFEST_INVALID',
  'BACKEND_UNAVAILABLE',
  'BAD_REQUEST',
  'NOT_LOADED',
  'BUSY',
  'CANCELLED',
  'DEVICE_LOST',
  'BAD_NUMBERS',
  'INTERNAL',
];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

export class NestarError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NestarError';
    this.code = code;
  }
}

export function isNestarError(e: unknown, code?: ErrorCode): e is NestarError {
  return e instanceof NestarError && (code === undefined || e.code === code);
}

/** Any thrown value as a NestarError: NestarErrors pass through, anything else becomes `fallback` (INTERNAL). */
export function toNestarError(e: unknown, fallback: ErrorCode = 'INTERNAL'): NestarError {
  if (e instanceof NestarError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new NestarError(fallback, message, { cause: e });
}

/** What crosses the boundary for a thrown value (comlink's own shape, plus `code`). */
interface SerializedThrow {
  isError: boolean;
  value: unknown;
}
interface SerializedError {
  message: string;
  name: string;
  stack?: string;
  code?: ErrorCode;
}

let registered = false;

/** Extends comlink's 'throw' transfer handler so NestarError.code survives postMessage. Idempotent. */
export function registerErrorTransfer(): void {
  if (registered) return;
  const original = Comlink.transferHandlers.get('throw');
  if (!original) throw new Error("comlink has no 'throw' transfer handler to extend");
  const handler: Comlink.TransferHandler<unknown, SerializedThrow> = {
    canHandle: (value: unknown): value is unknown => original.canHandle(value),
    serialize(thrown: unknown): [SerializedThrow, Transferable[]] {
      const { value } = thrown as { value: unknown };
      if (value instanceof Error) {
        const err: SerializedError = { message: value.message, name: value.name, stack: value.stack };
        if (value instanceof NestarError) err.code = value.code;
        return [{ isError: true, value: err }, []];
      }
      return original.serialize(thrown) as [SerializedThrow, Transferable[]];
    },
    deserialize(serialized: SerializedThrow): unknown {
      if (serialized.isError) {
        const err = serialized.value as SerializedError;
        if (isErrorCode(err.code)) {
          const e = new NestarError(err.code, err.message);
          if (err.stack !== undefined) e.stack = err.stack;
          throw e;
        }
      }
      return original.deserialize(serialized);
    },
  };
  Comlink.transferHandlers.set('throw', handler);
  registered = true;
}
