import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { ModelClass } from '../src/types';
import { MAX_SHOWN, visibleClasses } from './classFilter';
import { ClassPicker } from './components/ClassPicker';

const HOSTILE = '<img src=x onerror="window.__pwned=1"><b>bold</b>';
/** 30,000 classes (what a hostile manifest may list), class 0 labelled with markup, groups alternating. */
const many: ModelClass[] = Array.from({ length: 30_000 }, (_, i) => ({ index: i, label: i === 0 ? HOSTILE : `class-${i}`, group: i % 2 ? `odd ${i % 7}` : 'even' }));

describe('the class picker with a huge class list', () => {
  it('shows at most MAX_SHOWN classes and counts every match; the search finds the others', () => {
    const all = visibleClasses(many, '');
    expect(all.matching).toBe(30_000);
    expect(all.groups.reduce((n, [, list]) => n + list.length, 0)).toBe(MAX_SHOWN);
    expect(all.groups.map(([g]) => g).slice(0, 2)).toEqual(['even', 'odd 1']);
    const found = visibleClasses(many, '  CLASS-29999 ');
    expect(found).toEqual({ matching: 1, groups: [[many[29_999]!.group, [many[29_999]]]] });
    expect(visibleClasses(many, 'odd 3').matching).toBe(many.filter((c) => c.group === 'odd 3').length);
    expect(visibleClasses(many, 'no such class')).toEqual({ groups: [], matching: 0 });
  });

  it('renders MAX_SHOWN radios, says how many classes there are, and shows labels as text', () => {
    const html = renderToStaticMarkup(createElement(ClassPicker, { classes: many, value: 0, onChange: () => undefined, disabled: false }));
    expect(html.match(/type="radio"/g)).toHaveLength(MAX_SHOWN);
    expect(html).toContain('Showing 300 of 30,000 classes');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>');
    expect(html).toContain('&lt;img src=x onerror=');
  });
});
