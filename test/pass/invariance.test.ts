import { describe, it, expect, beforeAll } from 'vitest';
import fc from 'fast-check';
import { readFileSync, writeFileSync, mkdtempSync, existsSync } from 'node:fs';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeCapture } from '../../src/analyze/capture.js';
import { inferClients } from '../../src/flow/clients.js';
import { flowRecords, clientRecords, verdictViews } from '../helpers/tables.js';
import { buildCapture, SYN, SYNACK, ACK, FIN_ACK, RST, PSH_ACK, type Spec } from '../helpers/build.js';
import { generateCapture } from '../../bench/generate.js';
import { runReplay } from '../../src/analyze/replay.js';
import { ipv4Packet } from '../helpers/packets.js';
import { REPO_ROOT } from '../helpers/corpus.js';

const tmp = mkdtempSync(join(tmpdir(), 'aclreplay-inv-'));

/** Everything the capture commands report, as one comparable value. */
async function view(file: string, opts: Parameters<typeof analyzeCapture>[1]) {
  const a = await analyzeCapture(file, opts);
  const s = { ...a.summary, file: '' };
  return { summary: s, flows: flowRecords(a.connections), clients: clientRecords(inferClients(a.connections)), unmatched: a.unmatchedFragments, icmp: a.unattributedIcmpErrors };
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

  it('fragments out of order and ICMP errors on reused 5-tuples: chunked == whole, replay verdicts too', { timeout: 180_000 }, async () => {
    const C = '10.0.1.5';
    const S = '10.0.2.10';
    const acl = join(tmp, 'frag-icmp.yaml');
    writeFileSync(acl, `acls:
  - id: udp-tcp
    inbound:
      - { rule: 100, proto: udp, ports: 7, cidr: 0.0.0.0/0, action: allow }
      - { rule: 110, proto: tcp, ports: 80, cidr: 0.0.0.0/0, action: allow }
      - { rule: 120, proto: udp, ports: 9, cidr: 0.0.0.0/0, action: deny }
      - { rule: 130, proto: 17, cidr: 0.0.0.0/0, action: allow }
    outbound:
      - { rule: 100, proto: all, cidr: 0.0.0.0/0, action: allow }
`);
    const event = fc.oneof(
      fc.record({ kind: fc.constant('tcp' as const), tuple: fc.integer({ min: 0, max: 1 }), fromClient: fc.boolean(), flags: fc.constantFrom(SYN, SYN, SYNACK, ACK, FIN_ACK, RST), seq: fc.constantFrom(100, 200) }),
      // Datagram d's first fragment (ports 7 or 9 decide its verdict) or one of its later fragments, in any order.
      fc.record({ kind: fc.constant('first' as const), d: fc.integer({ min: 0, max: 2 }), port: fc.constantFrom(7, 9) }),
      fc.record({ kind: fc.constant('later' as const), d: fc.integer({ min: 0, max: 2 }) }),
      fc.record({ kind: fc.constant('icmp' as const), tuple: fc.integer({ min: 0, max: 1 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(event, { minLength: 1, maxLength: 40 }), fc.integer({ min: 90, max: 500 }), async (events, chunk) => {
        const specs: Spec[] = events.map((e): Spec => {
          if (e.kind === 'tcp') {
            const l4 = { proto: 'tcp' as const, flags: e.flags, seq: e.seq, payload: new Uint8Array(0) };
            return e.fromClient ? [C, S, { ...l4, sport: 40000 + e.tuple, dport: 80 }] : [S, C, { ...l4, sport: 80, dport: 40000 + e.tuple }];
          }
          if (e.kind === 'first') return [C, S, { proto: 'udp', sport: 5000, dport: e.port, payload: new Uint8Array(16) }, { moreFragments: true, dontFragment: false, ident: 100 + e.d }];
          if (e.kind === 'later') return [C, S, { proto: 17, payload: new Uint8Array(16) }, { fragOffset: 24, dontFragment: false, ident: 100 + e.d }];
          const quoted = ipv4Packet(C, S, { proto: 'tcp', sport: 40000 + e.tuple, dport: 80, flags: SYN, seq: 100 });
          return ['10.0.9.1', C, { proto: 'icmp', icmpType: 3, icmpCode: 1, payload: quoted.subarray(0, 28) }];
        });
        const file = buildCapture(specs);
        const whole = await view(file, { jobs: 1 });
        expect(await view(file, { jobs: 1, chunkBytes: chunk })).toEqual(whole);
        const input = { acls: [acl], subnets: ['10.0.2.0/24'], load: {} };
        const replayed = async (chunkBytes?: number) => {
          const r = await runReplay(file, input, { jobs: 1, chunkBytes });
          return { packets: r.report.acls[0]!.packets, verdicts: verdictViews(r, 0).map((v) => [v.outcome, v.forward, v.return]) };
        };
        expect(await replayed(chunk)).toEqual(await replayed());
      }),
      { numRuns: 150 },
    );
  });
});
