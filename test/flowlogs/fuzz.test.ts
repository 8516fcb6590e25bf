import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { readAll, tempFile } from './helpers.js';
import { AclReplayError } from '../../src/errors.js';

const lab = (p: string): Buffer => readFileSync(new URL(`../../captures/flowlogs/${p}`, import.meta.url));
const V5 = lab('v5/lab.log');
const V2 = lab('v2/lab.log');
/** Records in each lab file (one per line; v5 has a header line too). */
const RECORDS = V2.toString('latin1').trim().split('\n').length;

/** Read bytes as a file; only records, counted problems, or one of our errors (one line) may come out. */
async function survive(bytes: Uint8Array, name: string): Promise<{ records: number; problems: number; lines: number }> {
  const file = tempFile(bytes, name);
  try {
    const { rows, reader } = await readAll([file], 16);
    const info = reader.files[0];
    if (info) {
      // every line is a record, a header, blank, or a counted problem
      expect(info.records + info.malformed + info.headers).toBeLessThanOrEqual(info.lines);
    }
    return { records: rows.length, problems: reader.problems.total(), lines: info?.lines ?? 0 };
  } catch (e) {
    if (!(e instanceof AclReplayError)) throw e;
    expect(e.message).not.toMatch(/\n/);
    return { records: -1, problems: 0, lines: 0 };
  }
}

describe('fuzz: mutated flow logs give counted problems or our own errors, never an exception', () => {
  it('mutated bytes of the v5 and v2 lab files (plain and gzip)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(V5, V2),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 20 }),
        fc.boolean(),
        async (src, edits, gz) => {
          const b = Buffer.from(src);
          for (const [at, v] of edits) b[at % b.length] = v;
          const r = await survive(gz ? gzipSync(b) : b, gz ? 'm.log.gz' : 'm.log');
          if (r.records >= 0) expect(r.records).toBeLessThanOrEqual(RECORDS);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('mutated lines: fields dropped, duplicated, swapped, replaced by junk', async () => {
    const lines = V5.toString('latin1').split('\n');
    const junk = fc.constantFrom('-', '', '999999999999999999999', '1.2.3', '::::', 'ACCEPTED', 'OK?', '-1', 'fe80::1%eth0', '\t', ' ', '0x10', 'NaN', 'é', '\u0000');
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.integer({ min: 1, max: lines.length - 2 }), fc.nat(40), fc.integer({ min: 0, max: 3 }), junk), { minLength: 1, maxLength: 12 }), async (muts) => {
        const out = lines.slice();
        for (const [li, fi, op, j] of muts) {
          const f = out[li]!.split(' ');
          const k = fi % Math.max(1, f.length);
          if (op === 0) f.splice(k, 1);
          else if (op === 1) f.splice(k, 0, f[k] ?? '');
          else if (op === 2) [f[k], f[0]] = [f[0]!, f[k]!];
          else f[k] = j;
          out[li] = f.join(' ');
        }
        const r = await survive(Buffer.from(out.join('\n'), 'latin1'), 'l.log');
        expect(r.records).toBeGreaterThanOrEqual(0);
        const touched = new Set(muts.map((m) => m[0])).size;
        expect(r.records + r.problems).toBeGreaterThanOrEqual(RECORDS - touched);
      }),
      { numRuns: 150 },
    );
  });

  it('gzip cut or corrupted anywhere', async () => {
    const gz = gzipSync(V5);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: gz.length }), fc.option(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }))), async (cut, flip) => {
        const b = Buffer.from(gz.subarray(0, cut));
        if (flip) b[2 + (flip[0] % (b.length - 2))] = flip[1];
        const r = await survive(b, 'c.log.gz');
        if (r.records >= 0 && cut < gz.length) expect(r.problems).toBeGreaterThan(0);
      }),
      { numRuns: 120 },
    );
  });
});
