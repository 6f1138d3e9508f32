/**
 * The page's view of the model cache (src/modelCache.ts): which models are stored and how big, whether the loaded
 * model is kept, and deleting a stored model. Cache Storage is shared by the page and its worker (one origin), so
 * the page reads it directly; it refreshes whenever `refreshKey` changes (a load finished) and after a delete.
 */
import { useCallback, useEffect, useState } from 'react';
import { cacheStatus, deleteCachedModel, listCachedModels } from '../src/modelCache';
import type { ModelInfo } from '../src/types';
import type { StorageView } from './components/CacheManager';

async function estimate(): Promise<StorageView['estimate']> {
  try {
    const e = await navigator.storage?.estimate?.();
    return e && typeof e.quota === 'number' ? { usage: e.usage ?? 0, quota: e.quota } : null;
  } catch {
    return null;
  }
}

/** `info`: the loaded model (its manifest id names its cache entries), null while none is. */
export function useModelStorage(info: ModelInfo | null, refreshKey: unknown): { view: StorageView; remove(id: string | null): void; busy: boolean } {
  const [view, setView] = useState<StorageView>({ models: [], current: null, estimate: null, deletedCurrent: false });
  const [deletedCurrent, setDeletedCurrent] = useState(false);
  const [busy, setBusy] = useState(false);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    let live = true;
    void (async () => {
      const [models, current, est] = await Promise.all([
        listCachedModels().catch(() => []),
        // Whether what a load needs is kept; the other solver's heads are stored when first used, not before.
        info ? cacheStatus(info.id, info.files.filter((f) => !f.onDemand)).catch(() => null) : Promise.resolve(null),
        estimate(),
      ]);
      if (live) setView({ models, current, estimate: est, deletedCurrent });
    })();
    return () => {
      live = false;
    };
  }, [info, refreshKey, tick, deletedCurrent]);
  useEffect(() => setDeletedCurrent(false), [info]);

  const remove = useCallback((id: string | null) => {
    setBusy(true);
    if (id !== null && id === info?.id) setDeletedCurrent(true);
    void deleteCachedModel(id)
      .catch(() => 0)
      .finally(() => {
        setBusy(false);
        setTick((n) => n + 1);
      });
  }, [info]);

  return { view, remove, busy };
}
