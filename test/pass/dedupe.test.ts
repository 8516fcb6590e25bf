/**
 * The duplicate filter does not depend on chunking: every chunk is warmed with the records of the window before it
 * (src/pass/lookback.ts), found by the walk or, for a pcap file cut at offsets, by the worker walking back from an
 * earlier chunk's start, which the pass proves. Any -j and chunk size, any input path (file, stdin, gzip, pcapng),
 * and payload that fools the boundary search give the flows, drop counts and replay outcomes of one reader.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeCapture } from '../../src/analyze/capture.js';
import { runReplay } from '../../src/analyze/replay.js';
import { PcapWriter, PcapngWriter } from '../../src/capture/writer.js';
import { parseFileHeader } from '../../src/capture/pcap.js';
import { findPcapBoundary, pcapShape } from '../../src/capture/resync.js';
import type { PassOptions } from '../../src/pass/engine.js';
import { TcpFlag } from '../../src/wire/tcp.js';
import { ipv4Packet, ethernet, hex } from '../helpers/packets.js';
import { flowRecords, verdictViews } from '../helpers/tables.js';
import { REPO_ROOT } from '../helpers/corpus.js';

const tmp = mkdtempSync(join(tmpdir(), 'aclreplay-dedupe-'));
const BOTH = join(REPO_ROOT, 'captures', 'mirror', 'both-ends.pcap');
const EX = (f: string) => join(REPO_ROOT, 'examples', f);

/** Flows, the drop count and both candidates' per-connection outcomes (files only: the replay reads no test stdin), as one comparable value. */
async function view(file: string, options: Pick<PassOptions, 'jobs' | 'chunkBytes' | 'dedupe'>, stdin?: Uint8Array) {
  const a = await analyzeCapture(file, stdin ? { ...options, stdin: Readable.from([stdin]) } : options);
  let outcomes: string[][] = [];
  if (!stdin) {
    const r = await runReplay(file, { acls: [EX('classic-return.yaml'), EX('fixed-return.yaml')], subnets: ['10.1.2.0/24', 'fd01:2::/64'], load: {} }, options);
    outcomes = [0, 1].map((s) => verdictViews(r, s).map((v) => `${v.connection.id} ${v.outcome} ${v.forward.packets}/${v.return.packets}`));
  }
  return { duplicates: a.summary.duplicates, packets: a.summary.packets, decoded: a.summary.decoded, tunnels: a.summary.tunnels, flows: flowRecords(a.connections), outcomes };
}

/** A pcap file's records (16-byte headers, little-endian, microseconds): offset, seconds, microseconds, data. */
function records(b: Uint8Array): { offset: number; sec: number; usec: number; data: Uint8Array }[] {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out = [];
  for (let p = 24; p + 16 <= b.length; p += 16 + dv.getUint32(p + 8, true)) {
    out.push({ offset: p, sec: dv.getUint32(p, true), usec: dv.getUint32(p + 4, true), data: b.subarray(p + 16, p + 16 + dv.getUint32(p + 8, true)) });
  }
  return out;
}

/** The same records as pcapng, with a second interface (same link type) described half way: two contexts. */
function asPcapng(b: Uint8Array): Uint8Array {
  const w = new PcapngWriter().section().iface({ linkType: 1 });
  const rs = records(b);
  rs.forEach((r, k) => {
    if (k === rs.length >> 1) w.iface({ linkType: 1, name: 'second' });
    const us = r.sec * 1e6 + r.usec;
    w.epb(k < rs.length >> 1 ? 0 : 1, Math.floor(us / 2 ** 32), us % 2 ** 32, r.data);
  });
  return w.take();
}

/**
 * Both ends mirrored (VXLAN 101 from 192.168.77.10, 102 from .11), each copy 40 us after the other, and every TCP
 * payload a stream of pcap record headers with timestamps near the capture's: a boundary search from most cut
 * points lands on them.
 */
function foolingMirror(segments: number): string {
  const fake = new PcapWriter().header();
  for (let i = 0; i < 30; i++) fake.packet(1_700_000_000, i, new Uint8Array(20).fill(i));
  const payload = fake.take().subarray(24);
  const vx = (vni: number, outerSrc: string, inner: Uint8Array) => {
    const h = hex(`0800 0000 ${((vni >> 8) & 0xffff).toString(16).padStart(4, '0')} ${((vni & 0xff) << 8).toString(16).padStart(4, '0')}`);
    const p = new Uint8Array(h.length + inner.length);
    p.set(h);
    p.set(inner, h.length);
    return ethernet(ipv4Packet(outerSrc, '192.168.77.2', { proto: 'udp', sport: 50000, dport: 4789, payload: p }));
  };
  const w = new PcapWriter().header();
  let us = 0;
  for (let i = 0; i < segments; i++) {
    const c2s = i % 3 !== 2;
    const data = payload.subarray(0, 100 + ((i * 131) % (payload.length - 100)));
    const inner = ethernet(
      ipv4Packet(c2s ? '10.1.1.11' : '10.1.2.10', c2s ? '10.1.2.10' : '10.1.1.11', { proto: 'tcp', sport: c2s ? 40000 + (i % 7) : 80, dport: c2s ? 80 : 40000 + (i % 7), seq: 1000 + i * 300, ack: 5000, flags: TcpFlag.ACK | TcpFlag.PSH, payload: data }, { ident: i }),
    );
    us += 500;
    w.packet(1_700_000_000 + Math.floor(us / 1e6), us % 1e6, vx(101, '192.168.77.10', inner));
    // Every fifth segment only one session saw (the other end is not mirrored then).
    if (i % 5 !== 4) w.packet(1_700_000_000 + Math.floor((us + 40) / 1e6), (us + 40) % 1e6, vx(102, '192.168.77.11', inner));
  }
  const file = join(tmp, `fooling-${segments}.pcap`);
  writeFileSync(file, w.take());
  return file;
}

describe('dedupe on: the answer never depends on -j, chunk size or input path', () => {
  it('both-ends mirror: any -j and chunk size (property)', { timeout: 240_000 }, async () => {
    const base = await view(BOTH, { jobs: 1 });
    expect(base.duplicates).toBe(114);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 150, max: 20_000 }), async (jobs, chunkBytes) => {
        expect(await view(BOTH, { jobs, chunkBytes })).toEqual(base);
      }),
      { numRuns: 12, seed: 11 },
    );
  });

  it('both-ends mirror through stdin, gzip and pcapng (the walk, with the look-back bytes travelling)', { timeout: 240_000 }, async () => {
    const base = await view(BOTH, { jobs: 1 });
    const bytes = readFileSync(BOTH);
    for (const [jobs, chunkBytes] of [
      [1, 500],
      [2, 1500],
      [3, 4000],
    ] as const) {
      expect(await view('-', { jobs, chunkBytes }, bytes), `stdin -j ${jobs} ${chunkBytes}`).toEqual({ ...base, outcomes: [] });
      const gz = join(tmp, 'both.pcap.gz');
      writeFileSync(gz, gzipSync(bytes));
      expect(await view(gz, { jobs, chunkBytes }), `gzip -j ${jobs} ${chunkBytes}`).toEqual(base);
    }
    const ng = join(tmp, 'both.pcapng');
    writeFileSync(ng, asPcapng(new Uint8Array(bytes)));
    const ngBase = await view(ng, { jobs: 1 });
    expect(ngBase.duplicates).toBe(114);
    expect(ngBase.flows).toEqual(base.flows);
    for (const [jobs, chunkBytes] of [
      [1, 700],
      [2, 2500],
    ] as const) {
      expect(await view(ng, { jobs, chunkBytes }), `pcapng -j ${jobs} ${chunkBytes}`).toEqual(ngBase);
      expect(await view('-', { jobs, chunkBytes }, readFileSync(ng)), `pcapng stdin -j ${jobs} ${chunkBytes}`).toEqual({ ...ngBase, outcomes: [] });
    }
  });

  it('payload that fools the boundary search: the look back is proven, not trusted', { timeout: 240_000 }, async () => {
    const file = foolingMirror(300);
    const b = new Uint8Array(readFileSync(file));
    const truth = new Set(records(b).map((r) => r.offset));
    const shape = pcapShape(parseFileHeader(b.subarray(0, 24), file), 1_700_000_000);
    let fooled = 0;
    for (let cut = 24; cut < b.length - 3000; cut += 97) if (!truth.has(findPcapBoundary(b, cut, b.length, b.length, shape))) fooled++;
    expect(fooled).toBeGreaterThan(10);
    const base = await view(file, { jobs: 1 });
    expect(base.duplicates).toBe(240);
    for (const chunkBytes of [600, 1111, 2500, 7000]) expect(await view(file, { jobs: 2, chunkBytes }), `chunk ${chunkBytes}`).toEqual(base);
  });

  it('--keep-duplicates (dedupe null) keeps every copy, however the capture is cut', { timeout: 120_000 }, async () => {
    const base = await view(BOTH, { jobs: 1, dedupe: null });
    expect(base.duplicates).toBe(0);
    expect(base.flows.reduce((n, f) => n + f.packets, 0)).toBeGreaterThan((await view(BOTH, { jobs: 1 })).flows.reduce((n, f) => n + f.packets, 0));
    expect(await view(BOTH, { jobs: 2, chunkBytes: 900, dedupe: null })).toEqual(base);
  });
});
