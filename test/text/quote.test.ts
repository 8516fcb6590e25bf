import { describe, expect, it } from 'vitest';
import { describeValue, excerpt, MAX_ECHO } from '../../src/text/quote.js';

describe('excerpt and describeValue', () => {
  it('cuts long text to MAX_ECHO characters and says how long it was', () => {
    expect(excerpt('short')).toBe('short');
    const long = 'x'.repeat(5_000_000);
    const e = excerpt(long);
    expect(e.length).toBeLessThan(MAX_ECHO + 40);
    expect(e).toBe(`${'x'.repeat(MAX_ECHO)}... (5000000 characters)`);
  });

  it('names numbers JSON cannot hold instead of printing null', () => {
    expect(describeValue(JSON.parse('1e309'))).toBe('(a number out of range)');
    expect(describeValue(-Infinity)).toBe('(a number out of range)');
    expect(describeValue(NaN)).toBe('(not a number)');
    expect(describeValue([1, JSON.parse('1e309')])).toBe('[1,"Infinity"]');
  });

  it('quotes strings, shows objects as JSON, survives cycles', () => {
    expect(describeValue('abc')).toBe("'abc'");
    expect(describeValue(undefined)).toBe('nothing');
    expect(describeValue({ a: 1 })).toBe('{"a":1}');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(describeValue(cyclic)).toBe('(a mapping)');
    expect(describeValue('y'.repeat(1000)).length).toBeLessThan(MAX_ECHO + 40);
  });
});
