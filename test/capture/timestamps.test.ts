import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { convertTimestamp, type Timestamp } from '../../src/capture/pcapng.js';

// Reference in BigInt (the test may allocate; the reader may not).
function reference(tsresol: number, offset: number, hi: number, lo: number): Timestamp {
  const v = (BigInt(hi) << 32n) | BigInt(lo);
  if (tsresol & 0x80) {
    const e = BigInt(tsresol & 0x7f);
    const sec = v >> e;
    const frac = v - (sec << e);
    return { sec: Number(sec) + offset, nsec: Number((frac * 1_000_000_000n) >> e) };
  }
  const d = 10n ** BigInt(tsresol);
  const sec = v / d;
  const rem = v - sec * d;
  const nsec = tsresol <= 9 ? rem * 10n ** BigInt(9 - tsresol) : rem / 10n ** BigInt(tsresol - 9);
  return { sec: Number(sec) + offset, nsec: Number(nsec) };
}

describe('pcapng timestamp conversion', () => {
  it('equals exact BigInt arithmetic for decimal resolutions 10^0..10^-18', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 18 }), fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: -1e6, max: 1e6 }), (r, hi, lo, off) => {
        const out = { sec: 0, nsec: 0 };
        convertTimestamp(r, off, hi, lo, out);
        const ref = reference(r, off, hi, lo);
        // Seconds beyond 2^53 cannot be exact in a double; compare those as doubles.
        expect(out.sec).toBe(ref.sec);
        expect(out.nsec).toBe(ref.nsec);
      }),
      { numRuns: 5000 },
    );
  });

  it('equals exact arithmetic for binary resolutions 2^-1..2^-40 with exact fractions', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 0x3fffff }), fc.integer({ min: 0, max: 0xffffffff }), (e, hi, lo) => {
        const out = { sec: 0, nsec: 0 };
        convertTimestamp(0x80 | e, 0, hi, lo, out);
        const ref = reference(0x80 | e, 0, hi, lo);
        expect(out.sec).toBe(ref.sec);
        expect(Math.abs(out.nsec - ref.nsec)).toBeLessThanOrEqual(1);
      }),
      { numRuns: 5000 },
    );
  });

  it('converts the gopacket 2^-8 case and a nanosecond epoch exactly', () => {
    const out = { sec: 0, nsec: 0 };
    convertTimestamp(0x88, 0, 0, (1000 << 8) | 128, out);
    expect(out).toEqual({ sec: 1000, nsec: 500000000 });
    // 1700000000.987654321 s in ns: above 2^53, still exact.
    const ns = 1700000000987654321n;
    convertTimestamp(9, 0, Number(ns >> 32n), Number(ns & 0xffffffffn), out);
    expect(out).toEqual({ sec: 1700000000, nsec: 987654321 });
  });
});
