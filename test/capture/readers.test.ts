import { describe, it, expect } from 'vitest';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PcapWriter, PcapngWriter } from '../../src/capture/writer.js';
import { openCapture } from '../../src/capture/open.js';
import { Problems } from '../../src/capture/problems.js';
import { RECORD, END } from '../../src/capture/reader.js';
import { runPass } from '../../src/pass/engine.js';
import { summarizeCapture } from '../../src/pass/summary.js';
import { IoError } from '../../src/errors.js';
import { PcapngReader } from '../../src/capture/pcapng.js';
import { interfaceAt } from '../../src/capture/interfaces.js';
import { CaptureFormatError, NoSuchFileError } from '../../src/errors.js';

interface Rec {
  offset: number;
  sec: number;
  nsec: number;
  caplen: number;
  origlen: number;
  linkType: number;
  ifIndex: number;
  bytes: number[];
}

const tmp = mkdtempSync(join(tmpdir(), 'aclreplay-readers-'));
let n = 0;
function fileOf(bytes: Uint8Array): string {
  const f = join(tmp, `f${n++}.cap`);
  writeFileSync(f, bytes);
  return f;
}

async function readAll(bytes: Uint8Array, chunkBytes?: number, viaStream = false): Promise<{ recs: Rec[]; problems: Problems; reader: import('../../src/capture/reader.js').RecordReader }> {
  const problems = new Problems();
  const opened = viaStream
    ? await openCapture('-', problems, { chunkBytes, stdin: Readable.from([Buffer.from(bytes)]) })
    : await openCapture(fileOf(bytes), problems, { chunkBytes });
  const r = opened.reader;
  const recs: Rec[] = [];
  for (;;) {
    const x = r.next();
    if (x === RECORD) {
      recs.push({
        offset: r.recordOffset,
        sec: r.tsSec,
        nsec: r.tsNsec,
        caplen: r.caplen,
        origlen: r.origlen,
        linkType: r.linkType,
        ifIndex: r.ifIndex,
        bytes: Array.from(r.buf.subarray(r.dataOff, r.dataOff + r.caplen)),
      });
      continue;
    }
    if (x === END) break;
    const g = r.refill();
    if (typeof g !== 'number') await g;
  }
  r.close();
  return { recs, problems, reader: r };
}

const P1 = Uint8Array.from({ length: 60 }, (_, i) => i);
const P2 = Uint8Array.from({ length: 75 }, (_, i) => 255 - i);

describe('classic pcap', () => {
  for (const littleEndian of [true, false]) {
    for (const nanos of [false, true]) {
      it(`reads ${littleEndian ? 'little' : 'big'}-endian ${nanos ? 'nanosecond' : 'microsecond'} files`, async () => {
        const w = new PcapWriter({ littleEndian, nanos, snaplen: 65535, linkType: 1 }).header();
        w.packet(1700000000, nanos ? 123456789 : 123456, P1).packet(1700000001, nanos ? 5 : 5, P2, 1500);
        const { recs, problems } = await readAll(w.take());
        expect(problems.total()).toBe(0);
        expect(recs).toHaveLength(2);
        expect(recs[0]).toMatchObject({ offset: 24, sec: 1700000000, nsec: nanos ? 123456789 : 123456000, caplen: 60, origlen: 60, linkType: 1 });
        expect(recs[0]!.bytes).toEqual(Array.from(P1));
        expect(recs[1]).toMatchObject({ offset: 24 + 16 + 60, sec: 1700000001, nsec: nanos ? 5 : 5000, caplen: 75, origlen: 1500 });
        expect(recs[1]!.bytes).toEqual(Array.from(P2));
      });
    }
  }

  it('gives the same records whatever the chunk size (records straddle chunk ends)', async () => {
    const w = new PcapWriter().header();
    for (let i = 0; i < 50; i++) w.packet(i, i, i % 2 ? P1 : P2);
    const bytes = w.take();
    const whole = await readAll(bytes);
    for (const chunk of [17, 64, 100, 1000]) {
      const r = await readAll(bytes, chunk);
      expect(r.recs).toEqual(whole.recs);
    }
    const streamed = await readAll(bytes, 33, true);
    expect(streamed.recs).toEqual(whole.recs);
  });

  it('reads gzip-compressed captures, from a file and from stdin', async () => {
    const w = new PcapWriter().header().packet(1, 2, P1).packet(3, 4, P2);
    const plain = w.take();
    const gz = gzipSync(plain);
    const a = await readAll(plain);
    const b = await readAll(gz);
    const c = await readAll(gz, 64, true);
    expect(b.recs).toEqual(a.recs);
    expect(c.recs).toEqual(a.recs);
  });

  it('reports a truncated last record with its offset and keeps what came before', async () => {
    const w = new PcapWriter().header().packet(1, 0, P1).packet(2, 0, P2);
    const bytes = w.take().subarray(0, 24 + 16 + 60 + 16 + 10);
    const { recs, problems, reader } = await readAll(bytes);
    expect(recs).toHaveLength(1);
    expect(problems.totals()).toEqual({ 'truncated-record': 1 });
    expect(problems.details[0]).toMatchObject({ kind: 'truncated-record', offset: 100 });
    expect(reader.stoppedEarly).toBe(true);
  });

  it('stops at an absurd length without allocating for it', async () => {
    const w = new PcapWriter({ snaplen: 65535 }).header().packet(1, 0, P1);
    const bytes = w.take();
    const evil = new Uint8Array(bytes.length + 16 + 8);
    evil.set(bytes);
    const dv = new DataView(evil.buffer);
    dv.setUint32(bytes.length, 5, true);
    dv.setUint32(bytes.length + 8, 0x7fff0000, true);
    dv.setUint32(bytes.length + 12, 0x7fff0000, true);
    const { recs, problems, reader } = await readAll(evil, 4096);
    expect(recs).toHaveLength(1);
    expect(problems.details[0]).toMatchObject({ kind: 'absurd-length', offset: bytes.length });
    expect(reader.buf.length).toBeLessThanOrEqual(4096);
  });

  it('reports caplen above snaplen and above the original length', async () => {
    const w = new PcapWriter({ snaplen: 64 }).header().packet(1, 0, P2, 70);
    const { recs, problems } = await readAll(w.take());
    expect(recs).toHaveLength(1);
    expect(problems.totals()).toEqual({ 'caplen-exceeds-snaplen': 1, 'caplen-exceeds-origlen': 1 });
  });

  it('swaps caplen and len for version 2.2 files as libpcap does', async () => {
    const w = new PcapWriter({ versionMinor: 2 }).header();
    // Written swapped: the "caplen" field holds the original length.
    w.packet(1, 0, P1, 1500);
    const bytes = w.take();
    const dv = new DataView(bytes.buffer);
    dv.setUint32(24 + 8, 1500, true);
    dv.setUint32(24 + 12, 60, true);
    const { recs } = await readAll(bytes);
    expect(recs[0]).toMatchObject({ caplen: 60, origlen: 1500 });
  });

  it('reads the FCS length from the link-type word', async () => {
    const w = new PcapWriter({ linkType: 1 | 0x04000000 | (2 << 28) }).header().packet(1, 0, P1);
    const opened = await openCapture(fileOf(w.take()), new Problems());
    expect(opened.reader.linkType).toBe(1);
    expect(opened.reader.fcsLen).toBe(4);
    opened.reader.close();
  });
});

describe('file-level errors', () => {
  it('names the magic of a file that is not a capture', async () => {
    const f = fileOf(new TextEncoder().encode('hello world, not a capture'));
    await expect(openCapture(f, new Problems())).rejects.toThrow(/not a pcap or pcapng file \(magic 0x68656c6c\)/);
    await expect(openCapture(f, new Problems())).rejects.toBeInstanceOf(CaptureFormatError);
  });
  it('refuses empty files, unknown versions and reserved link-type bits', async () => {
    await expect(openCapture(fileOf(new Uint8Array(0)), new Problems())).rejects.toThrow(/empty/);
    const v = new PcapWriter({ versionMinor: 5 }).header().take();
    await expect(openCapture(fileOf(v), new Problems())).rejects.toThrow(/unsupported pcap version 2\.5/);
    const reserved = new PcapWriter({ linkType: 1 | 0x00300000 }).header().take();
    await expect(openCapture(fileOf(reserved), new Problems())).rejects.toThrow(/reserved bits/);
    const ng = new PcapngWriter().section(true, { versionMinor: 1 }).take();
    await expect(openCapture(fileOf(ng), new Problems())).rejects.toThrow(/unsupported pcapng version 1\.1/);
  });
  it('maps a missing file to NoSuchFileError', async () => {
    await expect(openCapture(join(tmp, 'nope.pcap'), new Problems())).rejects.toBeInstanceOf(NoSuchFileError);
  });
});

describe('pcapng', () => {
  it('reads sections of different byte order, interfaces with their own resolutions and offsets', async () => {
    const w = new PcapngWriter(true).section(true, { userApplication: 'test' });
    w.iface({ linkType: 1, snaplen: 65535, name: 'eth0' }); // default 10^-6
    w.iface({ linkType: 101, tsresol: 9, tsOffset: 100 }); // ns + 100 s offset
    w.raw(4, new Uint8Array(8)); // NRB skipped
    // 1700000000.123456 s in microseconds = 1700000000123456 = 0x00060a24 181e4a40
    const us = 1700000000123456;
    w.epb(0, Math.floor(us / 2 ** 32), us % 2 ** 32, P1);
    // 1700000000.987654321 s in ns (exceeds 2^53; exact hi/lo words)
    const hiNs = 0x1797e4b0;
    const loNs = 0x6fe8b8b1;
    w.epb(1, hiNs, loNs, P2);
    w.raw(5, new Uint8Array(16)); // ISB skipped
    w.raw(0x00000bad, new Uint8Array(12)); // custom skipped
    w.section(false);
    w.iface({ linkType: 113, tsresol: 0x88 }); // 2^-8 s
    w.epb(0, 0, (1000 << 8) | 128, P1); // 1000.5 s
    w.spb(P2);
    w.pb(0, 0, (2000 << 8) | 64, P1); // 2000.25 s
    const { recs, problems, reader } = await readAll(w.take());
    expect(problems.total()).toBe(0);
    expect(recs.map((r) => [r.linkType, r.ifIndex, r.sec, r.nsec, r.caplen])).toEqual([
      [1, 0, 1700000000, 123456000, 60],
      [101, 1, 0 + computeSec(hiNs, loNs) + 100, computeNsec(hiNs, loNs), 75],
      [113, 0, 1000, 500000000, 60],
      [113, 0, 1000, 500000000, 75], // SPB inherits the previous timestamp
      [113, 0, 2000, 250000000, 60],
    ]);
    const ng = reader as PcapngReader;
    expect(ng.sections.map((s) => [s.littleEndian, s.interfaces.count])).toEqual([
      [true, 2],
      [false, 1],
    ]);
    expect(ng.sections[0]!.userApplication).toBe('test');
    expect(interfaceAt(ng.sections[0]!.interfaces, 0).name).toBe('eth0');
  });

  it('gives the same records whatever the chunk size', async () => {
    const w = new PcapngWriter(false).section(false).iface({ linkType: 1 });
    for (let i = 0; i < 40; i++) w.epb(0, 0, i * 1000, i % 3 ? P1 : P2);
    const bytes = w.take();
    const whole = await readAll(bytes);
    expect(whole.recs).toHaveLength(40);
    for (const chunk of [13, 64, 333]) expect((await readAll(bytes, chunk)).recs).toEqual(whole.recs);
    expect((await readAll(bytes, 50, true)).recs).toEqual(whole.recs);
  });

  it('a section header block too short for its fixed fields is a problem at its offset, not a crash', async () => {
    const w = new PcapngWriter().section().iface({ linkType: 1 });
    w.epb(0, 0, 0, P1);
    const first = w.take();
    const bytes = new Uint8Array(first.length + 16);
    bytes.set(first);
    const dv = new DataView(bytes.buffer);
    dv.setUint32(first.length, 0x0a0d0d0a, true); // SHB of 16 bytes: type, length, byte-order magic, trailer
    dv.setUint32(first.length + 4, 16, true);
    dv.setUint32(first.length + 8, 0x1a2b3c4d, true);
    dv.setUint32(first.length + 12, 16, true);
    const r = await readAll(bytes);
    expect(r.recs).toHaveLength(1);
    expect(r.problems.details[0]).toMatchObject({ kind: 'bad-block-length', offset: first.length });
  });

  it('reports an unknown interface, a bad block length and truncation with offsets', async () => {
    const w = new PcapngWriter().section().iface({ linkType: 1 });
    w.epb(3, 0, 0, P1); // no interface 3
    w.epb(0, 0, 1, P1);
    const good = w.take();
    const unknownAt = 28 + 20;
    const r1 = await readAll(good);
    expect(r1.recs).toHaveLength(1);
    expect(r1.problems.details[0]).toMatchObject({ kind: 'unknown-interface', offset: unknownAt });

    const broken = good.slice();
    new DataView(broken.buffer).setUint32(unknownAt + 4, 13, true); // not a multiple of 4
    const r2 = await readAll(broken);
    expect(r2.recs).toHaveLength(0);
    expect(r2.problems.details[0]).toMatchObject({ kind: 'bad-block-length', offset: unknownAt });

    const cut = good.subarray(0, good.length - 10);
    const r3 = await readAll(cut);
    expect(r3.recs).toHaveLength(0);
    expect(r3.problems.totals()).toEqual({ 'unknown-interface': 1, 'truncated-record': 1 });
  });
});

function computeSec(hi: number, lo: number): number {
  return Number((BigInt(hi) * 2n ** 32n + BigInt(lo)) / 1_000_000_000n);
}
function computeNsec(hi: number, lo: number): number {
  return Number((BigInt(hi) * 2n ** 32n + BigInt(lo)) % 1_000_000_000n);
}

describe('stdin: a huge block the reader skips', () => {
  // SHB, IDB, packet, a 24 MiB custom block (over the 16 MiB record limit, so skipped by its length), packet.
  const build = () => {
    const w = new PcapngWriter().section().iface({ linkType: 1 });
    w.epb(0, 0, 1, P1);
    const head = w.take();
    w.raw(0x00000bad, new Uint8Array(24 << 20));
    w.epb(0, 0, 2, P2);
    const tail = w.take();
    const bytes = new Uint8Array(head.length + tail.length);
    bytes.set(head);
    bytes.set(tail, head.length);
    return { bytes, blockAt: head.length };
  };
  const pass = (bytes: Uint8Array) => runPass('-', { jobs: 1, stdin: Readable.from([Buffer.from(bytes)]) });

  it('is dropped as it streams (not held for a chunk); the packets around it are read', async () => {
    const { bytes } = build();
    const r = await pass(bytes);
    expect(r.merge.stats.packets).toBe(2);
    expect(r.merge.problems.totals()).toEqual({});
    // The tee never held the 24 MiB block: its buffer stayed at a read or two.
    expect((r.opened.tee as unknown as { kept: Uint8Array }).kept.length).toBeLessThanOrEqual(4 << 20);
  });

  it('cut short inside it: truncation reported at the block, the packet before it kept', async () => {
    const { bytes, blockAt } = build();
    const r = await pass(bytes.subarray(0, blockAt + (20 << 20)));
    expect(r.merge.stats.packets).toBe(1);
    expect(r.merge.problems.details[0]).toMatchObject({ kind: 'truncated-record', offset: blockAt });
    // The same words as from a file: the block's claimed size and what the input really held of it.
    expect(r.merge.problems.details[0]!.message).toBe(`block claims ${(24 << 20) + 12} bytes but the input ends after ${20 << 20}`);
  });
});

describe('a read error on stdin', () => {
  it('under gzip too: an I/O error, not a truncated gzip stream', async () => {
    const w = new PcapWriter().header();
    for (let i = 0; i < 2000; i++) w.packet(1, i, P1);
    const gz = gzipSync(w.take());
    async function* failing() {
      yield Buffer.from(gz.subarray(0, gz.length >> 1));
      throw new Error('EIO: i/o error, read');
    }
    const err = await runPass('-', { jobs: 1, stdin: Readable.from(failing()) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IoError);
    expect((err as IoError).message).toMatch(/^-: read error after \d+ bytes: EIO: i\/o error, read$/);
  });


  it('is an I/O error (exit 74) naming stdin and how far it got, not an internal error', async () => {
    const w = new PcapWriter().header();
    for (let i = 0; i < 10; i++) w.packet(1, i, P1);
    const bytes = w.take();
    async function* failing() {
      yield Buffer.from(bytes);
      throw new Error('EIO: i/o error, read');
    }
    const err = await runPass('-', { jobs: 1, stdin: Readable.from(failing()) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IoError);
    expect((err as IoError).exitCode).toBe(74);
    expect((err as IoError).message).toBe(`-: read error after ${bytes.length} bytes: EIO: i/o error, read`);
  });
});

describe('the capture summary of a pcapng', () => {
  it('lists every section with its byte order and interfaces, whatever the worker count or chunking', async () => {
    const w = new PcapngWriter(true).section(true, { userApplication: 'summary-test' });
    w.iface({ linkType: 1, name: 'eth0' });
    w.iface({ linkType: 101 });
    for (let i = 0; i < 30; i++) w.epb(i % 2, 0, i, i % 2 ? P2 : P1);
    w.section(false);
    w.iface({ linkType: 113, tsresol: 9 });
    for (let i = 0; i < 20; i++) w.epb(0, 0, i, P1);
    const file = join(mkdtempSync(join(tmpdir(), 'aclreplay-summary-')), 'two.pcapng');
    writeFileSync(file, w.take());
    const want = [
      { byteOrder: 'little-endian', userApplication: 'summary-test', interfaces: [{ linkType: 1, name: 'eth0', packets: 15 }, { linkType: 101, packets: 15 }] },
      { byteOrder: 'big-endian', interfaces: [{ linkType: 113, tsresol: 9, packets: 20 }] },
    ];
    for (const opts of [{ jobs: 1 }, { jobs: 1, chunkBytes: 300 }, { jobs: 2, chunkBytes: 500 }]) {
      const s = await summarizeCapture(file, opts);
      expect(s, JSON.stringify(opts)).toMatchObject({ format: 'pcapng', byteOrder: 'mixed', packets: 50, sections: want });
    }
  });
});
