import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/acl/classify.js';
import { compileRules, fromShared, toShared } from '../../src/acl/compile.js';
import { linearClassify } from '../../src/acl/linear.js';
import type { Rule } from '../../src/acl/model.js';
import { randomPackets, randomRules, ruleSetArb } from './gen.js';

function mismatches(rules: Rule[], pseed: number, npk: number, opts: { forceAbv?: boolean; directoryMinIntervals?: number } = {}): string[] {
  const compiled = compileRules(rules, opts);
  const p = randomPackets(pseed, rules, npk);
  const out = new Int32Array(npk);
  classify(compiled, p, null, npk, out);
  const bad: string[] = [];
  for (let i = 0; i < npk; i++) {
    const want = linearClassify(rules, p, i);
    if (out[i] !== want) bad.push(`packet ${i} (family ${p.family[i]} proto ${p.proto[i]} sport ${p.sport[i]} dport ${p.dport[i]}): compiled ${out[i]}, linear ${want}`);
  }
  return bad;
}

describe('compiled classifier equals the linear reference', () => {
  it('on small rule sets (WORD tables, <= 32 rules)', () => {
    fc.assert(
      fc.property(ruleSetArb(32), ({ seed, n, pseed }) => {
        const rules = randomRules(seed, n).slice(0, 32);
        expect(mismatches(rules, pseed, 400)).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('on small rule sets forced through the ABV tables', () => {
    fc.assert(
      fc.property(ruleSetArb(40), ({ seed, n, pseed }) => {
        expect(mismatches(randomRules(seed, n), pseed, 400, { forceAbv: true })).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it('on large rule sets (ABV, 33..2000 rules), with and without the IPv4 directory', () => {
    fc.assert(
      fc.property(fc.record({ seed: fc.integer(), n: fc.integer({ min: 33, max: 2000 }), pseed: fc.integer(), dir: fc.boolean() }), ({ seed, n, pseed, dir }) => {
        const rules = randomRules(seed, n);
        expect(mismatches(rules, pseed, 1500, { directoryMinIntervals: dir ? 1 : Infinity })).toEqual([]);
      }),
      { numRuns: 40 },
    );
  });

  it('on IPv4-only and IPv6-only sets', () => {
    fc.assert(
      fc.property(ruleSetArb(300), fc.constantFrom<(4 | 6)[]>([4], [6]), ({ seed, n, pseed }, fams) => {
        expect(mismatches(randomRules(seed, n, fams), pseed, 500, { directoryMinIntervals: 1 })).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });

  it('gives -1 for packets of family 0 and for an empty list', () => {
    const rules = randomRules(1, 10);
    const p = randomPackets(2, rules, 50);
    p.family.fill(0);
    const out = new Int32Array(50);
    classify(compileRules(rules), p, null, 50, out);
    expect([...out].every((x) => x === -1)).toBe(true);
    const p2 = randomPackets(3, rules, 50);
    classify(compileRules([]), p2, null, 50, out);
    expect([...out].every((x) => x === -1)).toBe(true);
  });

  it('classifies through an index array', () => {
    const rules = randomRules(5, 100);
    const p = randomPackets(6, rules, 200);
    const idx = Int32Array.from({ length: 50 }, (_, k) => 199 - 3 * k);
    const out = new Int32Array(50);
    classify(compileRules(rules), p, idx, 50, out);
    for (let k = 0; k < 50; k++) expect(out[k]).toBe(linearClassify(rules, p, idx[k]!));
  });

  it('survives toShared / structured clone / fromShared with shared memory', () => {
    const rules = randomRules(7, 300);
    const shared = toShared(compileRules(rules));
    expect(shared.v4.pool.buffer).toBeInstanceOf(SharedArrayBuffer);
    const cloned = fromShared(structuredClone(shared));
    expect(cloned.v4.pool.buffer).toBeInstanceOf(SharedArrayBuffer);
    const saved = shared.v4.pool[0]!;
    shared.v4.pool[0] = 12345;
    expect(cloned.v4.pool[0]).toBe(12345); // same memory, not a copy
    shared.v4.pool[0] = saved;
    const p = randomPackets(8, rules, 500);
    const a = new Int32Array(500);
    const b = new Int32Array(500);
    classify(shared, p, null, 500, a);
    classify(cloned, p, null, 500, b);
    expect([...b]).toEqual([...a]);
    const direct = compileRules(rules, { shared: true });
    expect(direct.v6.ruleIndex.buffer).toBeInstanceOf(SharedArrayBuffer);
  });
});
