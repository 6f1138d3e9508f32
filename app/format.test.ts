import { describe, expect, it } from 'vitest';
import { evaluationsLabel } from './format';

describe('evaluationsLabel', () => {
  it('shows one K when every module runs the same, else K per module coarse to fine', () => {
    expect(evaluationsLabel([2, 2, 2])).toBe('2');
    expect(evaluationsLabel([2, 2, 1])).toBe('2/2/1');
    expect(evaluationsLabel([1])).toBe('1');
    expect(evaluationsLabel(undefined)).toBe('?');
  });
});
