import { it, expect } from 'vitest';
import { createReadStream } from 'node:fs';
import pcapParser from 'pcap-parser';
import { describeCorpus, corpusIndex } from '../helpers/corpus.js';
import { openCapture } from '../../src/capture/open.js';
import { Problems } from '../../src/capture/problems.js';
import { RECORD, END } from '../../src/capture/reader.js';
import { summarizeCapture } from '../../src/pass/summary.js';
import { AclReplayError } from '../../src/errors.js';

/**
 * Files we refuse at the file header, and why. libpcap refuses all of them too; Wireshark reads
 * pcap-invalid-version-2.pcap (version 2.5), which is the one INDEX.tsv counts without a read error.
 */
const REFUSED: Record<string, RegExp> = {
  'the-tcpdump-group+libpcap/tests/pcap-invalid-version-1.pcap': /unsupported pcap version 1\.4/,
  'the-tcpdump-group+libpcap/tests/pcap-invalid-version-2.pcap': /unsupported pcap version 2\.5/,
  'the-tcpdump-group+libpcap/tests/pcapng-invalid-vers-1.pcapng': /unsupported pcapng version 0\.1/,
  'the-tcpdump-group+libpcap/tests/pcapng-invalid-vers-2.pcapng': /unsupported pcapng version 1\.1/,
  'the-tcpdump-group+libpcap/tests/linktype-reserved-field-not-zero.pcap': /reserved bits set/,
};

interface OracleRecord {
  sec: number;
  usec: number;
  caplen: number;
  origlen: number;
  data: Buffer;
}

function pcapParserRecords(file: string): Promise<OracleRecord[]> {
  return new Promise((resolve) => {
    const out: OracleRecord[] = [];
    const parser = pcapParser.parse(createReadStream(file));
    parser.on('packet', (p: { header: { timestampSeconds: number; timestampMicroseconds: number; capturedLength: number; originalLength: number }; data: Buffer }) => {
      out.push({ sec: p.header.timestampSeconds, usec: p.header.timestampMicroseconds, caplen: p.header.capturedLength, origlen: p.header.originalLength, data: Buffer.from(p.data) });
    });
    parser.on('error', () => {});
    parser.on('end', () => resolve(out));
  });
}

describeCorpus('corpus: classic pcap records equal pcap-parser (independent oracle)', () => {
  const files = corpusIndex().filter((e) => e.format.startsWith('pcap/') && !(e.path in REFUSED));
  it(`compares every record of ${files.length} classic pcap files`, { timeout: 300_000 }, async () => {
    let compared = 0;
    let filesCompared = 0;
    for (const e of files) {
      const problems = new Problems();
      const opened = await openCapture(e.abs, problems);
      const r = opened.reader;
      const header = (r as unknown as { header: { nanos: boolean; versionMinor: number } }).header;
      const ours: OracleRecord[] = [];
      for (;;) {
        const x = r.next();
        if (x === RECORD) {
          ours.push({ sec: r.tsSec, usec: r.tsNsec / 1000, caplen: r.caplen, origlen: r.origlen, data: Buffer.from(r.buf.subarray(r.dataOff, r.dataOff + r.caplen)) });
          continue;
        }
        if (x === END) break;
        const g = r.refill();
        if (typeof g !== 'number') await g;
      }
      r.close();
      if (header.nanos) continue; // pcap-parser knows only the microsecond magic
      const theirs = await pcapParserRecords(e.abs);
      // pcap-parser does not stop at an absurd length: it waits for bytes that never come, so it emits no more than we do.
      if (r.stoppedEarly) expect(theirs.length, e.path).toBeLessThanOrEqual(ours.length);
      else expect(ours.length, e.path).toBe(theirs.length);
      const n = Math.min(ours.length, theirs.length);
      for (let k = 0; k < n; k++) {
        const a = ours[k]!;
        const b = theirs[k]!;
        if (a.sec !== b.sec || a.usec !== b.usec || a.caplen !== b.caplen || a.origlen !== b.origlen || !a.data.equals(b.data)) {
          expect({ file: e.path, record: k, sec: a.sec, usec: a.usec, caplen: a.caplen, origlen: a.origlen }).toEqual({ file: e.path, record: k, sec: b.sec, usec: b.usec, caplen: b.caplen, origlen: b.origlen });
          expect(a.data.equals(b.data), `${e.path} record ${k} bytes`).toBe(true);
        }
      }
      compared += n;
      filesCompared++;
    }
    expect(filesCompared).toBeGreaterThan(250);
    expect(compared).toBeGreaterThan(100_000);
  });
});

describeCorpus('corpus sweep: every capture read without an uncaught exception', () => {
  const entries = corpusIndex();
  it(`reads all ${entries.length} files; packet counts equal capinfos wherever it read the file`, { timeout: 300_000 }, async () => {
    const mismatches: string[] = [];
    let checked = 0;
    for (const e of entries) {
      let summary;
      try {
        summary = await summarizeCapture(e.abs);
      } catch (err) {
        expect(err, e.path).toBeInstanceOf(AclReplayError);
        expect(REFUSED[e.path], `${e.path} refused unexpectedly: ${(err as Error).message}`).toBeDefined();
        expect((err as Error).message).toMatch(REFUSED[e.path]!);
        expect((err as AclReplayError).exitCode).toBe(65);
        continue;
      }
      expect(e.path in REFUSED, `${e.path} should be refused`).toBe(false);
      const decodedTotal = summary.decoded.tcp + summary.decoded.udp + summary.decoded.icmp + summary.decoded.other;
      expect(decodedTotal, e.path).toBe(summary.packets);
      if (!e.flags.includes('READ-ERROR') && e.capinfosPackets !== null) {
        checked++;
        if (summary.packets !== e.capinfosPackets) mismatches.push(`${e.path}: capinfos ${e.capinfosPackets}, ours ${summary.packets}`);
      }
    }
    expect(mismatches).toEqual([]);
    expect(checked).toBeGreaterThan(350);
  });
});
