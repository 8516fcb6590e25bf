import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addInterface, copyInterfaces, interfaceAt, interfaceColumns } from '../../src/capture/interfaces.js';
import { MAX_INTERFACES } from '../../src/capture/pcapng.js';
import { runPass } from '../../src/pass/engine.js';
import { describeCapture } from '../../src/pass/summary.js';

const tmp = mkdtempSync(join(tmpdir(), 'aclreplay-ifaces-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function block(type: number, body: Buffer): Buffer {
  const padded = Buffer.concat([body, Buffer.alloc((4 - (body.length % 4)) % 4)]);
  const b = Buffer.alloc(12 + padded.length);
  b.writeUInt32LE(type, 0);
  b.writeUInt32LE(b.length, 4);
  padded.copy(b, 8);
  b.writeUInt32LE(b.length, b.length - 4);
  return b;
}
const SHB = (() => {
  const body = Buffer.alloc(16);
  body.writeUInt32LE(0x1a2b3c4d, 0);
  body.writeUInt16LE(1, 4);
  body.writeBigInt64LE(-1n, 8);
  return block(0x0a0d0d0a, body);
})();
const IDB = (() => {
  const body = Buffer.alloc(8);
  body.writeUInt16LE(1, 0);
  body.writeUInt32LE(65535, 4);
  return block(1, body);
})();
function epb(ifIndex: number, ts: number): Buffer {
  const body = Buffer.alloc(20 + 14);
  body.writeUInt32LE(ifIndex, 0);
  body.writeUInt32LE(ts, 8);
  body.writeUInt32LE(14, 12);
  body.writeUInt32LE(14, 16);
  return block(6, body);
}
function write(parts: Buffer[]): string {
  const f = join(tmp, `f${parts.length}-${Math.random().toString(36).slice(2)}.pcapng`);
  writeFileSync(f, Buffer.concat(parts));
  return f;
}

describe('pcapng interfaces as columns', () => {
  it('cost about 24 bytes each, however many a section declares, and keep names only where given', async () => {
    const n = 200_000;
    const parts = [SHB, ...Array<Buffer>(n).fill(IDB)];
    for (let i = 0; i < 100; i++) parts.push(epb((i * 1999) % n, i));
    const r = await runPass(write(parts), { jobs: 1, flows: false });
    const sec = [...r.merge.sections.values()][0]!;
    const cols = sec.interfaces;
    expect(cols.count).toBe(n);
    const bytes = cols.linkType.byteLength + cols.snaplen.byteLength + cols.tsresol.byteLength + cols.fcsLen.byteLength + cols.tsOffset.byteLength + cols.packets.byteLength;
    expect(bytes / n).toBeLessThanOrEqual(24);
    expect(Object.keys(cols.names)).toHaveLength(0);
    expect(r.merge.stats.packets).toBe(100);
  });

  it('columns grow in place and copy without counts for a chunk context', () => {
    const c = interfaceColumns(1);
    for (let i = 0; i < 9; i++) expect(addInterface(c, { linkType: i, snaplen: 100 + i, tsresol: 6, tsOffset: i, fcsLen: 0, name: i === 3 ? 'eth3' : null, description: null })).toBe(i);
    c.packets[3] = 7;
    expect(interfaceAt(c, 3)).toEqual({ linkType: 3, snaplen: 103, tsresol: 6, tsOffset: 3, fcsLen: 0, name: 'eth3', description: null, packets: 7 });
    const ctx = copyInterfaces(c, false);
    expect([ctx.count, ctx.linkType.length, ctx.packets[3], ctx.names[3]]).toEqual([9, 9, 0, 'eth3']);
    expect(structuredClone(ctx)).toEqual(ctx);
  });

  it('past MAX_INTERFACES in a file: a problem per extra IDB, their packets unknown, the same for any chunking', async () => {
    const first = MAX_INTERFACES - 5;
    const parts = [SHB, ...Array<Buffer>(first).fill(IDB), epb(first - 1, 1), SHB, ...Array<Buffer>(10).fill(IDB), epb(4, 2), epb(5, 3)];
    const f = write(parts);
    const summaries = [];
    for (const opts of [{ jobs: 1 }, { jobs: 2, chunkBytes: 8 << 20 }]) {
      const s = describeCapture(await runPass(f, { ...opts, flows: false }));
      summaries.push({ interfaces: s.sections.map((x) => x.interfaces.length), totals: s.problemTotals, packets: s.packets });
    }
    expect(summaries[0]).toEqual({ interfaces: [first, 5], totals: { 'too-many-interfaces': 5, 'unknown-interface': 1 }, packets: 2 });
    expect(summaries[1]).toEqual(summaries[0]);
  });
});
