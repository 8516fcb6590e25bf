/** The port-model arithmetic of coverage.ts on literal verdict intervals, counted by hand. */
import { describe, it, expect } from 'vitest';
import { rangeVerdicts, addRange } from '../../src/analyze/coverage.js';

// Allowed from 40001 up (an odd boundary, so the two models differ); denied below by code -0x10000.
const pv = { starts: Int32Array.from([0, 40001]), codes: Int32Array.from([-0x1ffff, 0x20000]) };

describe('rangeVerdicts', () => {
  it('uniform: every port of 32768-60999 counts; 32768-40000 are denied', () => {
    const r = rangeVerdicts(pv, 32768, 60999, false);
    expect(r.total).toBe(28232);
    expect(r.denied).toEqual([{ code: -0x1ffff, from: 32768, to: 40000, weight: 7233 }]);
  });

  it('parity: only the even ports (the low end 32768 is even) count', () => {
    const r = rangeVerdicts(pv, 32768, 60999, true);
    expect(r.total).toBe(14116);
    // 32768, 32770, ..., 40000: (40000 - 32768) / 2 + 1.
    expect(r.denied[0]!.weight).toBe(3617);
  });

  it('parity with an odd low end (Windows XP 1025-5000 on a Linux kernel): the odd ports', () => {
    const odd = { starts: Int32Array.from([0, 3000]), codes: Int32Array.from([-1, 1]) };
    const r = rangeVerdicts(odd, 1025, 5000, true);
    expect(r.total).toBe(1988);
    expect(r.denied[0]!.weight).toBe(988); // 1025, 1027, ..., 2999
  });
});

describe('addRange', () => {
  it('merges touching and overlapping ranges, keeps the rest sorted', () => {
    const r: [number, number][] = [];
    addRange(r, 10, 20);
    addRange(r, 40, 50);
    addRange(r, 21, 25);
    addRange(r, 5, 7);
    expect(r).toEqual([[5, 7], [10, 25], [40, 50]]);
    addRange(r, 8, 45);
    expect(r).toEqual([[5, 50]]);
  });
});
