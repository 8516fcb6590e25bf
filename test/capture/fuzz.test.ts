import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { openCapture } from '../../src/capture/open.js';
import { Problems } from '../../src/capture/problems.js';
import { HARD_MAX_RECORD } from '../../src/capture/reader.js';
import { PacketBatch } from '../../src/decode/batch.js';
import { PacketParser } from '../../src/decode/parser.js';
import { CaptureStats } from '../../src/decode/stats.js';
import { decodeAll } from '../../src/decode/scan.js';
import { AclReplayError } from '../../src/errors.js';
import { PcapWriter, PcapngWriter } from '../../src/capture/writer.js';
import { corpusAvailable, corpusIndex } from '../helpers/corpus.js';
import { ipv4Packet, ipv6Packet, ethernet } from '../helpers/packets.js';

/** Read and decode `bytes` as stdin would deliver them; returns what happened, never throws anything but ours. */
async function readBytes(bytes: Uint8Array, chunkBytes = 4096): Promise<{ packets: number; problems: number; bufBytes: number; ms: number }> {
  const t0 = Date.now();
  const problems = new Problems();
  let opened;
  try {
    opened = await openCapture('-', problems, { stdin: Readable.from([Buffer.from(bytes)]), chunkBytes });
  } catch (err) {
    if (!(err instanceof AclReplayError)) throw err;
    expect(err.message).not.toMatch(/\n/);
    return { packets: -1, problems: 0, bufBytes: 0, ms: Date.now() - t0 };
  }
  const batch = new PacketBatch(64);
  const stats = new CaptureStats();
  await decodeAll(opened.reader, new PacketParser(batch, problems), batch, stats, () => {});
  const d = stats.decoded;
  expect(d.tcp + d.udp + d.icmp + d.other).toBe(stats.packets);
  return { packets: stats.packets, problems: problems.total(), bufBytes: opened.reader.buf.length, ms: Date.now() - t0 };
}

function seedCapture(): Uint8Array {
  const w = new PcapWriter().header();
  w.packet(1, 0, ethernet(ipv4Packet('10.0.0.1', '10.0.0.2', { proto: 'tcp', sport: 40000, dport: 80, options: [2, 4, 5, 0xb4, 1, 3, 3, 7] })));
  w.packet(2, 0, ethernet(ipv6Packet('2001:db8::1', '2001:db8::2', { proto: 'udp', sport: 1, dport: 53 }, [[0, new Uint8Array(8)]])));
  w.packet(3, 0, ethernet(ipv4Packet('10.0.0.2', '10.0.0.1', { proto: 'icmp', icmpType: 3, icmpCode: 4, payload: ipv4Packet('10.0.0.1', '10.0.0.2', { proto: 'udp', sport: 5, dport: 6 }).subarray(0, 28) })));
  return w.take();
}

function seedPcapng(): Uint8Array {
  const w = new PcapngWriter(false).section(false).iface({ linkType: 1, tsresol: 9 }).iface({ linkType: 113 });
  w.epb(0, 1, 2, ethernet(ipv4Packet('1.1.1.1', '2.2.2.2', { proto: 'udp', sport: 9, dport: 53 })));
  w.section(true).iface({ linkType: 101 });
  w.epb(0, 0, 5, ipv4Packet('1.1.1.1', '2.2.2.2', { proto: 'tcp', sport: 1, dport: 2 }));
  w.spb(ipv4Packet('1.1.1.1', '2.2.2.2', { proto: 'icmp', icmpType: 8 }));
  return w.take();
}

/** Mutations: byte flips, 32-bit length fields set to extremes, truncation. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('word' as const), at: fc.nat(), value: fc.constantFrom(0, 1, 0xffffffff, 0x7fffffff, 0x00010000, 12, 13, 0xfffffff0) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat(), value: fc.constant(0) }),
);

function mutate(base: Uint8Array, muts: { kind: 'flip' | 'word' | 'cut'; at: number; value: number }[]): Uint8Array {
  let b = base.slice();
  for (const m of muts) {
    if (b.length === 0) break;
    const at = m.at % b.length;
    if (m.kind === 'flip') b[at] = m.value;
    else if (m.kind === 'word' && at + 4 <= b.length) new DataView(b.buffer, b.byteOffset).setUint32(at, m.value >>> 0, (m.at & 1) === 0);
    else if (m.kind === 'cut') b = b.slice(0, at);
  }
  return b;
}

const BOUNDED = HARD_MAX_RECORD + (1 << 16);

/** Outcomes seen across runs, so a property that never reaches the decoder cannot pass unnoticed. */
const seen = { refused: 0, withPackets: 0, withProblems: 0 };
function tally(r: { packets: number; problems: number }): void {
  if (r.packets < 0) seen.refused++;
  if (r.packets > 0) seen.withPackets++;
  if (r.problems > 0) seen.withProblems++;
}

describe('fuzz: reader and decoder only report problems or throw our own error, in bounded time and memory', () => {
  it('random bytes behind every magic', async () => {
    const magics = [
      [0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0],
      [0xa1, 0xb2, 0xc3, 0xd4, 0, 2, 0, 4],
      [0x4d, 0x3c, 0xb2, 0xa1, 2, 0, 4, 0],
      [0x0a, 0x0d, 0x0d, 0x0a],
      [0x1f, 0x8b],
      [],
    ];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...magics), fc.uint8Array({ maxLength: 3000 }), async (magic, body) => {
        const bytes = new Uint8Array(magic.length + body.length);
        bytes.set(magic);
        bytes.set(body, magic.length);
        const r = await readBytes(bytes);
        expect(r.bufBytes).toBeLessThanOrEqual(BOUNDED);
        expect(r.ms).toBeLessThan(5000);
      }),
      { numRuns: 400 },
    );
  });

  it('mutated generated captures (pcap and pcapng, mixed byte order)', async () => {
    const seeds = [seedCapture(), seedPcapng()];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(0, 1), fc.array(mutation, { minLength: 1, maxLength: 6 }), fc.constantFrom(64, 4096), async (s, muts, chunk) => {
        const r = await readBytes(mutate(seeds[s]!, muts), chunk);
        tally(r);
        expect(r.bufBytes).toBeLessThanOrEqual(BOUNDED);
        expect(r.ms).toBeLessThan(5000);
      }),
      { numRuns: 600 },
    );
  });

  if (!corpusAvailable()) process.stderr.write('SKIP fuzz on mutated corpus files: corpus absent (clone ../shared beside the repo or set ACLREPLAY_CORPUS)\n');
  it.skipIf(!corpusAvailable())('mutated corpus files', { timeout: 120_000 }, async () => {
    const small = corpusIndex().filter((e) => e.size > 0 && e.size < 60_000);
    const pick = small.filter((_, i) => i % 3 === 0).slice(0, 60);
    const bases = pick.map((e) => readFileSync(e.abs));
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: bases.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 8 }), async (k, muts) => {
        const r = await readBytes(mutate(bases[k]!, muts));
        tally(r);
        expect(r.bufBytes).toBeLessThanOrEqual(BOUNDED);
        expect(r.ms).toBeLessThan(5000);
      }),
      { numRuns: 500 },
    );
  });

  it('exercised refusals, decoded packets and reported problems', () => {
    expect(seen.refused).toBeGreaterThan(10);
    expect(seen.withPackets).toBeGreaterThan(100);
    expect(seen.withProblems).toBeGreaterThan(100);
  });
});
