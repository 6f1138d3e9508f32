/**
 * Which classes the class picker shows for a search: those whose label or group contains the query (any case),
 * grouped by group in the manifest's order, at most MAX_SHOWN of them. A manifest may list any number of classes;
 * tens of thousands of radios would freeze the page, so the search box narrows the rest.
 */
import type { ModelClass } from '../src/types';

export const MAX_SHOWN = 300;

export interface ClassView {
  /** The shown classes by group, groups in order of their first shown class. */
  groups: [group: string, classes: ModelClass[]][];
  /** How many classes match the query, shown or not. */
  matching: number;
}

export function visibleClasses(classes: readonly ModelClass[], query: string): ClassView {
  const q = query.trim().toLowerCase();
  const byGroup = new Map<string, ModelClass[]>();
  let matching = 0;
  for (const c of classes) {
    if (q && !c.label.toLowerCase().includes(q) && !c.group.toLowerCase().includes(q)) continue;
    matching++;
    if (matching > MAX_SHOWN) continue;
    const list = byGroup.get(c.group) ?? [];
    list.push(c);
    byGroup.set(c.group, list);
  }
  return { groups: [...byGroup.entries()], matching };
}
