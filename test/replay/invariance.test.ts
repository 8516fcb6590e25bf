import { describe, it, expect, beforeAll } from 'vitest';
import fc from 'fast-check';
import { readFileSync, writeFileSync, mkdtempSync, existsSync } from 'node:fs';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeCapture } from '../../src/replay/analyze.js';
import { inferClients } from '../../src/flow/ports.js';
import { connectionRecord } from '../../src/report/flows.js';
import { buildCapture, SYN, SYNACK, ACK, FIN_ACK, RST, PSH_ACK, type Spec } from '../helpers/build.js';
import { generateCapture } from '../../bench/generate.js';
import { REPO_ROOT } from '../helpers/corpus.js';

const tmp = mkdtempSync(join(tmpdir(), 'aclreplay-inv-'));

/** Everything the capture commands report, as one comparable value. */
async function view(file: string, opts: Parameters<typeof analyzeCapture>[1]) {
  const a = await analyzeCapture(file, opts);
  const s = { ...a.summary, file: '' };
  return { summary: s, flows: a.connections.map(connectionRecord), clients: inferClients(a.connections), unmatched: a.unmatchedFragments, icmp: a.unattributedIcmpErrors };
}

describe('the answer never depends on worker count, chunk size or input path', () => {
  let generated = '';
  beforeAll(() => {
    generated = join(tmp, 'gen.pcap');
    generateCapture({ file: generated, packets: 40_000, concurrency: 64, seed: 7 });
  });

  const captures = ['mixed-clients.pcap', 'return-drop.pcap', 'ipv6-and-frag.pcap', 'return-drop-udp.pcap'].map((f) => join(REPO_ROOT, 'captures', f));

  it('recorded captures: -j 1..4 and chunk sizes down to a few packets', { timeout: 120_000 }, async () => {
    for (const file of captures.filter(existsSync)) {
      const base = await view(file, { jobs: 1 });
      expect(base.flows.length).toBeGreaterThan(0);
      for (const [jobs, chunkBytes] of [
        [1, 700],
        [2, 2000],
        [3, 5000],
        [4, 20000],
        [2, 1 << 20],
      ] as const) {
        expect(await view(file, { jobs, chunkBytes }), `${file} -j ${jobs} chunk ${chunkBytes}`).toEqual(base);
      }
    }
  });

  it('a generated capture with 5-tuple reuse, through the workers, stdin and gzip', { timeout: 120_000 }, async () => {
    const base = await view(generated, { jobs: 1 });
    expect(base.flows.length).toBeGreaterThan(4000);
    expect(await view(generated, { jobs: 2, chunkBytes: 64 << 10 })).toEqual(base);
    expect(await view(generated, { jobs: 4, chunkBytes: 300 << 10 })).toEqual(base);
    const bytes = readFileSync(generated);
    expect(await view('-', { jobs: 2, chunkBytes: 100 << 10, stdin: Readable.from([bytes]) })).toEqual(base);
    const gz = join(tmp, 'gen.pcap.gz');
    writeFileSync(gz, gzipSync(bytes));
    const g = await view(gz, { jobs: 2, chunkBytes: 128 << 10 });
    expect({ ...g, summary: { ...g.summary, compression: null } }).toEqual(base);
  });

  it('random TCP packet sequences on reused 5-tuples: chunked == whole', { timeout: 120_000 }, async () => {
    const flagsArb = fc.constantFrom(SYN, SYN, SYNACK, ACK, PSH_ACK, FIN_ACK, RST, ACK | 0x04);
    // ISNs from a small set, so SYNs sometimes repeat a connection's ISN (retransmission) and sometimes do not (reuse).
    const packet = fc.record({ tuple: fc.integer({ min: 0, max: 2 }), fromClient: fc.boolean(), flags: flagsArb, data: fc.boolean(), seq: fc.constantFrom(100, 200, 300), ack: fc.constantFrom(0, 101, 201) });
    await fc.assert(
      fc.asyncProperty(fc.array(packet, { minLength: 1, maxLength: 40 }), fc.integer({ min: 90, max: 600 }), async (pkts, chunk) => {
        const specs: Spec[] = pkts.map((p) => {
          const c = '10.0.1.5';
          const s = '10.0.2.10';
          const cport = 40000 + p.tuple;
          const l4 = { proto: 'tcp' as const, flags: p.flags, seq: p.seq, ack: p.ack, payload: new Uint8Array(p.data ? 10 : 0) };
          return p.fromClient ? [c, s, { ...l4, sport: cport, dport: 80 }] : [s, c, { ...l4, sport: 80, dport: cport }];
        });
        const file = buildCapture(specs);
        const whole = await view(file, { jobs: 1 });
        expect(await view(file, { jobs: 1, chunkBytes: chunk })).toEqual(whole);
      }),
      { numRuns: 300 },
    );
  });
});
