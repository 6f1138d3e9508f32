/**
 * The last HISTORY_LIMIT generations of this browser, newest first: the image (RGBA, the model's native size) and the
 * link that restores its settings (urlState.ts). Kept in IndexedDB; in memory where IndexedDB is missing (Node tests,
 * some private modes), so the page works the same, only forgetting on reload.
 */
import type { RgbaImage } from '../src/types';

export const HISTORY_LIMIT = 50;
const DB_NAME = 'nestar-history';
const STORE = 'generations';

export interface HistoryEntry {
  id: number;
  /** ms since the epoch. */
  createdAt: number;
  /** The page link of the image (model, backend, class, seed, settings, variation source). */
  link: string;
  /** For display, e.g. "face-smiling · seed 1234". */
  label: string;
  image: RgbaImage;
}

export interface HistoryStore {
  /** Newest first. */
  list(): Promise<HistoryEntry[]>;
  /**
   * Adds an entry (one with the same link, i.e. the same image made again, moves to the top instead of repeating),
   * drops the oldest beyond HISTORY_LIMIT; resolves with the new list.
   */
  add(entry: Omit<HistoryEntry, 'id'>): Promise<HistoryEntry[]>;
  clear(): Promise<void>;
}

/** Newest first, at most `limit`: what the store keeps of `entries`. */
export function keepNewest(entries: HistoryEntry[], limit = HISTORY_LIMIT): HistoryEntry[] {
  return [...entries].sort((a, b) => b.createdAt - a.createdAt || b.id - a.id).slice(0, limit);
}

export function memoryHistory(): HistoryStore {
  let entries: HistoryEntry[] = [];
  let nextId = 1;
  return {
    list: async () => entries,
    add: async (entry) => {
      entries = keepNewest([...entries.filter((e) => e.link !== entry.link), { ...entry, id: nextId++ }]);
      return entries;
    },
    clear: async () => {
      entries = [];
    },
  };
}

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

/** The browser's history store, or the in-memory one when IndexedDB cannot be opened. */
export async function openHistory(idb: IDBFactory | undefined = globalThis.indexedDB): Promise<HistoryStore> {
  if (!idb) return memoryHistory();
  let db: IDBDatabase;
  try {
    const open = idb.open(DB_NAME, 1);
    open.onupgradeneeded = () => open.result.createObjectStore(STORE, { keyPath: 'id', autoIncrement: true });
    db = await request(open);
  } catch {
    return memoryHistory();
  }
  const all = async (): Promise<HistoryEntry[]> => keepNewest(await request(db.transaction(STORE).objectStore(STORE).getAll() as IDBRequest<HistoryEntry[]>), Infinity);
  return {
    list: async () => keepNewest(await all()),
    async add(entry) {
      const same = (await all()).filter((e) => e.link === entry.link);
      const tx = db.transaction(STORE, 'readwrite');
      for (const e of same) tx.objectStore(STORE).delete(e.id);
      tx.objectStore(STORE).add(entry);
      await done(tx);
      const entries = await all();
      const stale = entries.slice(HISTORY_LIMIT);
      if (stale.length > 0) {
        const cleanup = db.transaction(STORE, 'readwrite');
        for (const e of stale) cleanup.objectStore(STORE).delete(e.id);
        await done(cleanup);
      }
      return entries.slice(0, HISTORY_LIMIT);
    },
    async clear() {
      const tx = db.transaction(STORE, 'readwrite');
      tx.objectStore(STORE).clear();
      await done(tx);
    },
  };
}
