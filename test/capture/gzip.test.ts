import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { deflateRawSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { GunzipSource } from '../../src/capture/gzip.js';
import { BufferSource } from '../../src/capture/source.js';
import { runPass } from '../../src/pass/engine.js';
import { describeCapture } from '../../src/pass/summary.js';
import { REPO_ROOT } from '../helpers/corpus.js';

const MIXED = readFileSync(join(REPO_ROOT, 'captures', 'mixed-clients.pcap'));

/** Everything a GunzipSource hands out, and the failures it reported. */
async function gunzip(bytes: Uint8Array): Promise<{ out: Buffer; failures: [string, number][] }> {
  const failures: [string, number][] = [];
  const src = new GunzipSource(new BufferSource(bytes), (m, at) => failures.push([m, at]));
  const parts: Buffer[] = [];
  const buf = new Uint8Array(7000);
  for (;;) {
    const r = src.read(buf, 0, buf.length);
    const n = typeof r === 'number' ? r : await r;
    if (n === 0) break;
    parts.push(Buffer.from(buf.subarray(0, n)));
  }
  return { out: Buffer.concat(parts), failures };
}

async function info(bytes: Uint8Array, jobs = 1) {
  return describeCapture(await runPass('-', { jobs, stdin: Readable.from([Buffer.from(bytes)]) }));
}

describe('GunzipSource', () => {
  it('hands out every byte of one member, several members, zero padding and header fields', async () => {
    expect((await gunzip(gzipSync(MIXED))).out.equals(MIXED)).toBe(true);
    const two = Buffer.concat([gzipSync(MIXED.subarray(0, 5000)), gzipSync(MIXED.subarray(5000)), Buffer.alloc(100)]);
    expect(await gunzip(two)).toEqual({ out: MIXED, failures: [] });
    // FEXTRA, FNAME, FCOMMENT and FHCRC, as RFC 1952 lays them out (the header CRC is not checked).
    const body = deflateRawSync(MIXED);
    const trailer = Buffer.alloc(8);
    const { crc32 } = await import('node:zlib');
    trailer.writeUInt32LE(crc32(MIXED), 0);
    trailer.writeUInt32LE(MIXED.length, 4);
    const header = Buffer.from([0x1f, 0x8b, 8, 0x02 | 0x04 | 0x08 | 0x10, 0, 0, 0, 0, 0, 3, 3, 0, 1, 2, 3, ...Buffer.from('name\0comment\0'), 0xaa, 0xbb]);
    expect(await gunzip(Buffer.concat([header, body, trailer]))).toEqual({ out: MIXED, failures: [] });
  });

  it('trailing garbage, a flipped CRC, a wrong size: all the data first, then one failure', async () => {
    const gz = gzipSync(MIXED);
    const garbage = await gunzip(Buffer.concat([gz, Buffer.from('garbage\n')]));
    expect(garbage.out.equals(MIXED)).toBe(true);
    expect(garbage.failures).toEqual([[`gzip stream ends in error after ${MIXED.length} decompressed bytes: the data after the last gzip member is not gzip (ignored) (compressed offset ${gz.length})`, MIXED.length]]);
    const crc = Buffer.from(gz);
    crc[crc.length - 8]! ^= 0xff;
    const c = await gunzip(crc);
    expect(c.out.equals(MIXED)).toBe(true);
    expect(c.failures[0]![0]).toMatch(/CRC-32 of the data is 0x[0-9a-f]{8}, the trailer says 0x[0-9a-f]{8} \(the data is corrupt\) \(compressed offset \d+\)$/);
    const size = Buffer.from(gz);
    size[size.length - 1]! ^= 0x01;
    expect((await gunzip(size)).failures[0]![0]).toContain(`the data is ${MIXED.length} bytes (mod 2^32), the trailer says`);
  });

  it('a stream cut short gives everything the compressed bytes hold, then says where it ends', async () => {
    const gz = gzipSync(MIXED);
    for (const cut of [20, Math.floor(gz.length / 2), gz.length - 4]) {
      const r = await gunzip(gz.subarray(0, cut));
      const { createInflateRaw, constants } = await import('node:zlib');
      const expected = await new Promise<Buffer>((resolve) => {
        const parts: Buffer[] = [];
        const z = createInflateRaw({ finishFlush: constants.Z_SYNC_FLUSH });
        z.on('data', (d: Buffer) => parts.push(d)).on('end', () => resolve(Buffer.concat(parts)));
        z.end(gz.subarray(10, Math.min(cut, gz.length - 8)));
      });
      expect(r.out.equals(expected), `cut at ${cut}`).toBe(true);
      expect(r.failures).toHaveLength(1);
      expect(r.failures[0]![1]).toBe(expected.length);
    }
  });

  it('a corrupt deflate stream: a failure with its offsets, never an exception', async () => {
    const gz = Buffer.from(gzipSync(MIXED));
    gz.fill(0xff, 200, 260);
    const r = await gunzip(gz);
    expect(r.failures).toHaveLength(1);
    expect(r.failures[0]![0]).toMatch(/^gzip stream ends in error after \d+ decompressed bytes: .* \(compressed offset \d+\)$/);
    expect(MIXED.subarray(0, r.out.length).equals(r.out)).toBe(true);
  });
});

describe('a capture under gzip that fails', () => {
  it('(gzip -c mixed-clients.pcap; echo garbage): all 1036 packets, and the gzip failure is the problem reported', async () => {
    const x = Buffer.concat([gzipSync(MIXED), Buffer.from('garbage\n')]);
    for (const jobs of [1, 2]) {
      const s = await info(x, jobs);
      expect(s.packets).toBe(1036);
      expect(s.problems).toEqual([{ kind: 'bad-gzip', offset: MIXED.length, message: expect.stringContaining('is not gzip (ignored)') }]);
    }
    const crc = gzipSync(MIXED);
    crc[crc.length - 6]! ^= 0x10;
    const s = await info(crc);
    expect(s.packets).toBe(1036);
    expect(s.problems.map((p) => p.kind)).toEqual(['bad-gzip']);
  });

  it('cut short: the gzip failure comes first, before the truncated record it causes', async () => {
    const gz = gzipSync(MIXED);
    const seen = new Set<string>();
    for (const cut of [0.3, 0.45, 0.5, 0.6, 0.75].map((f) => Math.floor(gz.length * f))) {
      const s = await info(gz.subarray(0, cut));
      expect(s.problems[0]!.kind, `cut at ${cut}`).toBe('bad-gzip');
      expect(s.problems[0]!.message).toContain('the input ends inside the compressed data');
      seen.add(s.problems.map((p) => p.kind).join(','));
    }
    expect(seen).toContain('bad-gzip,truncated-record');
  });
});
