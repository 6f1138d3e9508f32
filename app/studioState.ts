/**
 * The page's whole runtime state and the one reducer that folds every runtime event into it.
 *
 * Actions are one discriminated union: the runtime's own events (download, compile, ready, scale, done) plus the
 * few the hook adds around them (load-start, generate-start, cancelled, error). Nothing else mutates this state.
 */
import type { CallStats } from '../src/callTimer';
import type { Backend, ErrorCode, GenerateRequest, LoadEvent, GenerateEvent, RgbaImage, RuntimeInfo } from '../src/types';

export interface FileProgress {
  file: string;
  loaded: number;
  total: number;
  fromCache: boolean;
}

/** One finished scale of a run: `images[b]` is image b's preview at that scale, `tokens` each image's token grid as
 * of this scale (the prefix that Continue and "Vary from here" start from). The runtime's scale event, kept. */
export type ScaleFrame = Omit<Extract<GenerateEvent, { type: 'scale' }>, 'type'>;

/**
 * Where a run's coarse scales came from: its own seed, or a variation of image `sourceSeed` (a batch-1 run) kept up to
 * scale `scale`. `linkable` is false when that source was itself a variation from a finer scale (no link says how).
 */
export type RunOrigin = { kind: 'seed' } | { kind: 'variation'; sourceSeed: number; scale: number; linkable: boolean };

export interface StudioError {
  code: ErrorCode;
  message: string;
  /** Which call failed; a failed load leaves nothing to generate with. */
  during: 'load' | 'generate';
}

export type LoadStatus = 'idle' | 'loading' | 'ready' | 'failed';
export type RunStatus = 'idle' | 'running' | 'done' | 'cancelled' | 'failed';

export interface RunState {
  /** Which generate() call this is; events of an older call are ignored. */
  id: number;
  status: RunStatus;
  request: GenerateRequest | null;
  origin: RunOrigin;
  frames: ScaleFrame[];
  final: RgbaImage[] | null;
  firstPreviewMs: number | null;
  totalMs: number | null;
  /** The run's session calls per kind and their time (src/callTimer.ts); null until done. */
  calls: CallStats | null;
  /** The finest scale the finished run made (below the last scale when it stopped early); null until done. */
  lastScale: number | null;
  /** While the run first fetches its solver's heads (not the model's default): how far; null otherwise. */
  heads: { phase: 'download' | 'compile'; loaded: number; total: number } | null;
  /** Whether the run fetched its solver's heads (stored in the model cache then: the storage view reads it again). */
  fetchedHeads: boolean;
}

export interface StudioState {
  modelId: string | null;
  /**
   * `warmingUp`: every session is compiled and the runtime runs its warm-up generation on that backend (the page
   * says so: on a GPU it compiles the shaders and can take seconds); null before and after.
   */
  load: { status: LoadStatus; files: FileProgress[]; compiling: string | null; compiled: string[]; warmingUp: Backend | null };
  runtime: RuntimeInfo | null;
  run: RunState;
  error: StudioError | null;
}

export type StudioAction =
  | { type: 'load-start'; modelId: string }
  | LoadEvent
  | { type: 'generate-start'; runId: number; request: GenerateRequest; origin?: RunOrigin }
  | (GenerateEvent & { runId: number })
  | { type: 'cancelled'; runId: number }
  | { type: 'error'; code: ErrorCode; message: string; during: 'load' | 'generate'; runId?: number }
  | { type: 'dismiss-error' }
  /** Shows a stored image (history) as a finished run of `request`, without running anything. */
  | { type: 'restore'; request: GenerateRequest; origin: RunOrigin; image: RgbaImage; lastScale: number };

const emptyRun: RunState = {
  id: 0,
  status: 'idle',
  request: null,
  origin: { kind: 'seed' },
  frames: [],
  final: null,
  firstPreviewMs: null,
  totalMs: null,
  calls: null,
  lastScale: null,
  heads: null,
  fetchedHeads: false,
};

export const initialState: StudioState = {
  modelId: null,
  load: { status: 'idle', files: [], compiling: null, compiled: [], warmingUp: null },
  runtime: null,
  run: emptyRun,
  error: null,
};

/** Whether `scale` is the loaded model's last (the whole image); true when no model info is known. */
function isLastScale(state: StudioState, scale: number): boolean {
  const last = state.runtime?.model?.scales.at(-1)?.scale;
  return last === undefined || scale === last;
}

/** The files compiled once the one being compiled is done: each compile event (and the warm-up) ends the previous one. */
function compiledSoFar(load: StudioState['load']): string[] {
  return load.compiling ? [...load.compiled, load.compiling] : load.compiled;
}

export function studioReducer(state: StudioState, action: StudioAction): StudioState {
  switch (action.type) {
    case 'load-start':
      return { ...initialState, modelId: action.modelId, load: { ...initialState.load, status: 'loading' } };
    case 'download': {
      const entry: FileProgress = { file: action.file, loaded: action.loaded, total: action.total, fromCache: action.fromCache };
      const known = state.load.files.some((f) => f.file === action.file);
      const files = known ? state.load.files.map((f) => (f.file === action.file ? entry : f)) : [...state.load.files, entry];
      return { ...state, load: { ...state.load, files } };
    }
    case 'compile':
      return { ...state, load: { ...state.load, compiling: action.file, compiled: compiledSoFar(state.load) } };
    case 'warmup':
      return { ...state, load: { ...state.load, compiling: null, compiled: compiledSoFar(state.load), warmingUp: action.backend } };
    case 'ready':
      return { ...state, runtime: action.info, load: { ...state.load, status: 'ready', compiling: null, warmingUp: null } };
    case 'generate-start':
      return { ...state, error: null, run: { ...emptyRun, id: action.runId, status: 'running', request: action.request, origin: action.origin ?? { kind: 'seed' } } };
    case 'heads':
      if (action.runId !== state.run.id || state.run.status !== 'running') return state;
      return { ...state, run: { ...state.run, heads: { phase: action.phase, loaded: action.loaded, total: action.total }, fetchedHeads: true } };
    case 'scale':
      // Events of an older run (e.g. one cancelled just before this run started) are dropped.
      if (action.runId !== state.run.id || state.run.status !== 'running') return state;
      if (state.run.frames.some((f) => f.scale === action.scale)) return state;
      return {
        ...state,
        run: {
          ...state.run,
          heads: null,
          firstPreviewMs: state.run.firstPreviewMs ?? action.elapsedMs,
          frames: [
            ...state.run.frames,
            {
              scale: action.scale,
              grid: action.grid,
              images: action.images,
              elapsedMs: action.elapsedMs,
              stepsDone: action.stepsDone,
              stepsTotal: action.stepsTotal,
              tokens: action.tokens,
            },
          ],
        },
      };
    case 'done':
      if (action.runId !== state.run.id || state.run.status !== 'running') return state;
      return {
        ...state,
        run: {
          ...state.run,
          status: 'done',
          // A run stopped before the last scale has no final image: its newest frame is what it made.
          final: isLastScale(state, action.lastScale) ? action.images : null,
          totalMs: action.totalMs,
          firstPreviewMs: action.firstPreviewMs,
          calls: action.calls,
          lastScale: action.lastScale,
        },
      };
    case 'cancelled':
      if (action.runId !== state.run.id || state.run.status !== 'running') return state;
      return { ...state, run: { ...state.run, status: 'cancelled' } };
    case 'error': {
      const error: StudioError = { code: action.code, message: action.message, during: action.during };
      if (action.during === 'load') return { ...state, error, load: { ...state.load, status: 'failed', compiling: null } };
      if (action.runId !== undefined && action.runId !== state.run.id) return state;
      return { ...state, error, run: { ...state.run, status: 'failed' } };
    }
    case 'dismiss-error':
      return { ...state, error: null };
    case 'restore':
      if (state.run.status === 'running') return state;
      return {
        ...state,
        error: null,
        run: { ...emptyRun, id: state.run.id, status: 'done', request: action.request, origin: action.origin, final: [action.image], lastScale: action.lastScale },
      };
  }
}
