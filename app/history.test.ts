import { describe, expect, it } from 'vitest';
import { HISTORY_LIMIT, keepNewest, memoryHistory, openHistory } from './history';

const image = { width: 1, height: 1, data: new Uint8ClampedArray(4) };
const entry = (createdAt: number) => ({ createdAt, link: `https://example.test/?seed=${createdAt}`, label: `seed ${createdAt}`, image });

describe('history', () => {
  it('keeps the newest HISTORY_LIMIT, newest first', async () => {
    const store = memoryHistory();
    for (let t = 1; t <= HISTORY_LIMIT + 5; t++) await store.add(entry(t));
    const list = await store.list();
    expect(list.length).toBe(HISTORY_LIMIT);
    expect(list[0]!.createdAt).toBe(HISTORY_LIMIT + 5);
    expect(list.at(-1)!.createdAt).toBe(6);
    await store.clear();
    expect(await store.list()).toEqual([]);
  });

  it('the same image made again moves to the top instead of repeating', async () => {
    const store = memoryHistory();
    await store.add(entry(1));
    await store.add(entry(2));
    const list = await store.add({ ...entry(1), createdAt: 3 });
    expect(list.map((e) => e.link)).toEqual(['https://example.test/?seed=1', 'https://example.test/?seed=2']);
  });

  it('orders ties by id and falls back to memory without IndexedDB', async () => {
    expect(keepNewest([{ ...entry(1), id: 1 }, { ...entry(1), id: 2 }]).map((e) => e.id)).toEqual([2, 1]);
    const store = await openHistory(undefined);
    expect((await store.add(entry(3))).map((e) => e.createdAt)).toEqual([3]);
  });
});
