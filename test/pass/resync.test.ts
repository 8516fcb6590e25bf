/**
 * Cutting a pcap file at fixed offsets (workers find their own record boundaries): the boundary a worker claims is
 * checked against where the previous chunk's reader stopped, so payload that looks like record headers, huge
 * records and broken files give exactly the answer of one reader from the start.
 */
import { describe, it, expect } from 'vitest';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeCapture } from '../../src/analyze/capture.js';
import { PcapWriter, PcapngWriter } from '../../src/capture/writer.js';
import { parseFileHeader } from '../../src/capture/pcap.js';
import { findPcapBoundary, pcapShape } from '../../src/capture/resync.js';
import { ipv4Packet, ethernet } from '../helpers/packets.js';
import { flowRecords } from '../helpers/tables.js';
import { REPO_ROOT } from '../helpers/corpus.js';

const tmp = mkdtempSync(join(tmpdir(), 'aclreplay-resync-'));

/** Record offsets of a pcap file by a plain walk of its headers (16-byte headers, little-endian, microseconds). */
function recordOffsets(b: Uint8Array): number[] {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: number[] = [];
  for (let p = 24; p + 16 <= b.length; p += 16 + dv.getUint32(p + 8, true)) out.push(p);
  return out;
}

/** Everything flows and the summary report, for comparing runs. */
async function view(file: string, jobs: number, chunkBytes?: number) {
  const a = await analyzeCapture(file, { jobs, chunkBytes });
  return { flows: flowRecords(a.connections), packets: a.summary.packets, problems: a.summary.problemTotals, incomplete: a.summary.incomplete, details: a.summary.problems };
}

/** UDP packets whose payload is itself a pcap record stream (the headers a resync could take for real ones). */
function pcapInPcap(records: number): string {
  const inner = new PcapWriter().header();
  for (let i = 0; i < 40; i++) inner.packet(1_700_000_000 + i, i, new Uint8Array(30).fill(i));
  const payload = inner.take().subarray(24); // record headers and data only, as in the middle of a pcap stream
  const w = new PcapWriter().header();
  for (let i = 0; i < records; i++) {
    const l4 = { proto: 'udp' as const, sport: 40000 + (i % 50), dport: 9, payload: payload.subarray(0, 200 + ((i * 97) % (payload.length - 200))) };
    w.packet(1_700_000_000 + i, i * 1000, ethernet(ipv4Packet('10.0.1.5', '10.0.2.10', l4)));
  }
  const file = join(tmp, `inner-${records}.pcap`);
  writeFileSync(file, w.take());
  return file;
}

describe('finding a record boundary from an arbitrary offset', () => {
  it('finds the first true boundary at or after every offset of the recorded captures', () => {
    for (const name of ['mixed-clients.pcap', 'return-drop.pcap', 'ipv6-and-frag.pcap']) {
      const b = new Uint8Array(readFileSync(join(REPO_ROOT, 'captures', name)));
      const offsets = recordOffsets(b);
      const shape = pcapShape(parseFileHeader(b.subarray(0, 24), name), new DataView(b.buffer).getUint32(24, true));
      for (let cut = 24; cut < offsets[offsets.length - 1]!; cut += 37) {
        const truth = offsets.find((o) => o >= cut)!;
        expect(findPcapBoundary(b, cut, b.length, b.length, shape), `${name} from ${cut}`).toBe(truth);
      }
    }
  });

  it('can be fooled by payload that holds record headers: which is why every boundary is proven', () => {
    const b = new Uint8Array(readFileSync(pcapInPcap(30)));
    const offsets = new Set(recordOffsets(b));
    const shape = pcapShape(parseFileHeader(b.subarray(0, 24), 'x'), 1_700_000_000);
    let fooled = 0;
    for (let cut = 24; cut < b.length - 2000; cut += 13) if (!offsets.has(findPcapBoundary(b, cut, b.length, b.length, shape))) fooled++;
    expect(fooled).toBeGreaterThan(0);
  });
});

describe('a pass cut at offsets gives the answer of one reader', () => {
  it('payload full of fake record headers, cut everywhere', { timeout: 60_000 }, async () => {
    const file = pcapInPcap(400);
    const base = await view(file, 1);
    expect(base.packets).toBe(400);
    for (const chunk of [500, 777, 1500, 4096, 20000]) expect(await view(file, 2, chunk), `chunk ${chunk}`).toEqual(base);
  });

  it('a record bigger than several chunks, and chunks with no record start', { timeout: 60_000 }, async () => {
    const w = new PcapWriter().header();
    for (let i = 0; i < 20; i++) {
      const size = i === 7 ? 60_000 : 60 + i;
      w.packet(1_700_000_000, i, ethernet(ipv4Packet('10.0.1.5', '10.0.2.10', { proto: 'udp', sport: 5000 + i, dport: 53, payload: new Uint8Array(size) })));
    }
    const file = join(tmp, 'huge.pcap');
    writeFileSync(file, w.take());
    const base = await view(file, 1);
    for (const chunk of [300, 1000, 9000]) expect(await view(file, 2, chunk), `chunk ${chunk}`).toEqual(base);
  });

  it('an absurd length stops reading there, and a truncated end is reported once, however the file is cut', { timeout: 60_000 }, async () => {
    const good = readFileSync(join(REPO_ROOT, 'captures', 'mixed-clients.pcap'));
    const offsets = recordOffsets(new Uint8Array(good));
    const at = offsets[500]!;
    const absurd = Buffer.from(good);
    absurd.writeUInt32LE(0x7fffffff, at + 8);
    const cut = good.subarray(0, offsets[900]! + 20);
    for (const [name, bytes] of [['absurd', absurd], ['cut', cut]] as const) {
      const file = join(tmp, `${name}.pcap`);
      writeFileSync(file, bytes);
      const base = await view(file, 1);
      expect(base.incomplete).toBe(true);
      for (const chunk of [900, 5000, 30000]) expect(await view(file, 2, chunk), `${name} chunk ${chunk}`).toEqual(base);
    }
  });
});

describe('pcapng cut at offsets', () => {
  /** A pcapng file: a second interface defined after packets, Simple Packet Blocks after enhanced ones, a second section. */
  function pcapngFile(): string {
    const w = new PcapngWriter().section().iface({ linkType: 1, snaplen: 65535 });
    const frame = (i: number, sport: number) => ethernet(ipv4Packet('10.0.1.5', '10.0.2.10', { proto: 'udp', sport, dport: 53, payload: new Uint8Array(20 + (i % 40)) }));
    for (let i = 0; i < 120; i++) {
      if (i === 40) w.iface({ linkType: 1, snaplen: 65535, tsresol: 9 });
      if (i % 10 === 9) w.spb(frame(i, 6000 + i));
      else w.epb(i >= 40 && i % 2 ? 1 : 0, 0, 1_700_000_000 * 1000 + i, frame(i, 5000 + (i % 30)));
      if (i === 80) w.section(false).iface({ linkType: 1, snaplen: 65535 }).iface({ linkType: 1, snaplen: 65535, tsresol: 3 });
    }
    const file = join(tmp, 'sections.pcapng');
    writeFileSync(file, w.take());
    return file;
  }

  it('interfaces defined mid-file, SPB timestamps inherited across chunks and a second section: the one-reader answer', { timeout: 60_000 }, async () => {
    const file = pcapngFile();
    const base = await view(file, 1);
    expect(base.packets).toBe(120);
    for (const chunk of [64, 300, 1000, 5000]) {
      expect(await view(file, 2, chunk), `offsets, chunk ${chunk}`).toEqual(base);
      expect(await view(file, 1, chunk), `walk, chunk ${chunk}`).toEqual(base);
    }
  });
});
