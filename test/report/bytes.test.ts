/** The byte writer's numbers are exactly what String() writes (the outputs must not change by a byte). */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { ByteOutput } from '../../src/report/bytes.js';

function written(f: (o: ByteOutput) => void): string {
  const o = new ByteOutput(64);
  f(o);
  return Buffer.from(o.take()).toString('latin1');
}

describe('ByteOutput numbers', () => {
  it('uint writes every 32-bit unsigned integer as String does', () => {
    for (const n of [0, 1, 9, 10, 99, 100, 65535, 999999999, 1000000000, 4294967295]) expect(written((o) => o.uint(n))).toBe(String(n));
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), (n) => written((o) => o.uint(n)) === String(n)), { numRuns: 20000 });
  });

  it('micros(m) writes m / 1e6 as String does (the rounded durations of flows)', () => {
    for (const m of [0, 1, 5, 10, 100000, 1000000, 1500000, 2000001, 123456789, 4294967295]) expect(written((o) => o.micros(m))).toBe(String(m / 1e6));
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), (m) => written((o) => o.micros(m)) === String(m / 1e6)), { numRuns: 20000 });
    // Durations as flows computes them: Math.round((last - first) * 1e6) of capture-like timestamps.
    fc.assert(
      fc.property(fc.integer({ min: 1_500_000_000, max: 1_900_000_000 }), fc.integer({ min: 0, max: 999_999 }), fc.integer({ min: 0, max: 4000 }), fc.integer({ min: 0, max: 999_999 }), (s, us, ds, dus) => {
        const first = s + us * 1000 * 1e-9;
        const last = s + ds + dus * 1000 * 1e-9;
        if (last < first) return true;
        return written((o) => o.micros(Math.round((last - first) * 1e6))) === String(Math.round((last - first) * 1e6) / 1e6);
      }),
      { numRuns: 20000 },
    );
  });

  it('seconds(x) writes timestamps as String does: capture timestamps, any double near them, any double', () => {
    for (const x of [1, 1.5, 1700000000, 1700000000.000001, 1700000000.1, 1763986213.643262, 4294967295.999999, 4294967296, 0.5, 0, -1, 1763986213.6432629, 1e21, NaN]) expect(written((o) => o.seconds(x))).toBe(String(x));
    // As the readers make them: seconds plus microseconds (nanoseconds of a µs pcap, or of a ns pcap).
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 999_999_999 }), fc.boolean(), (s, ns, micro) => {
        const x = s + (micro ? Math.floor(ns / 1000) * 1000 : ns) * 1e-9;
        return written((o) => o.seconds(x)) === String(x);
      }),
      { numRuns: 50000 },
    );
    // One ulp either side of a microsecond grid point is not on the grid: String's text, not the grid's.
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 0xffffffff }), fc.integer({ min: 0, max: 999_999 }), fc.constantFrom(-1, 1), (s, us, dir) => {
        const x = s + us / 1e6;
        const buf = new Float64Array([x]);
        const bits = new BigInt64Array(buf.buffer);
        bits[0] = bits[0]! + BigInt(dir);
        return written((o) => o.seconds(buf[0]!)) === String(buf[0]!);
      }),
      { numRuns: 20000 },
    );
    fc.assert(fc.property(fc.double(), (x) => written((o) => o.seconds(x)) === String(x)), { numRuns: 20000 });
    fc.assert(fc.property(fc.double({ min: 1, max: 2 ** 33 }), (x) => written((o) => o.seconds(x)) === String(x)), { numRuns: 20000 });
  });

  it('num writes any double as String does', () => {
    for (const x of [0, -0, 1, -1, 0.5, 1e21, 1e-7, NaN, Infinity, -Infinity, 4294967296, 1763986213.6432629]) expect(written((o) => o.num(x))).toBe(String(x));
    fc.assert(fc.property(fc.double(), (x) => written((o) => o.num(x)) === String(x)), { numRuns: 20000 });
  });
});
