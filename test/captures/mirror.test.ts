/**
 * The mirror captures in captures/mirror/: the same traffic recorded directly (direct.pcap) and through each
 * encapsulation (scripts/record-mirror.sh with the kernel's VXLAN; scripts/reencap-mirror.mjs for GENEVE and the
 * cut mirror). The reference is always the direct twin: the same decoded inner packets, the same connections, the
 * same per-connection replay outcomes. record-mirror.sh itself checked that the mirrored frames are the direct
 * frames byte for byte, so any difference here is the decoder's.
 */
import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/corpus.js';
import { summarizeCapture, type CaptureSummary } from '../../src/pass/summary.js';
import { analyzeCapture } from '../../src/analyze/capture.js';
import { runReplay } from '../../src/analyze/replay.js';
import { verdictRecord } from '../../src/report/replay.js';
import { flowRecord, FlowWriter, flowFields } from '../../src/report/flows.js';
import { tsvLine } from '../../src/report/text.js';
import type { PassOptions } from '../../src/pass/engine.js';
import type { PacketBatch } from '../../src/decode/batch.js';
import { flowRecords, type FlowRecord } from '../helpers/tables.js';
import { TunnelKind } from '../../src/decode/tunnels.js';
import { DuplicateFilter } from '../../src/decode/duplicates.js';
import { formatAddress as fmt4 } from '../../src/wire/ipv4.js';
import { formatAddress as fmt6 } from '../../src/wire/ipv6.js';

const M = (f: string) => join(REPO_ROOT, 'captures', 'mirror', f);
const SERVER = ['10.1.2.10', 'fd01:2::10'];
const C1 = ['10.1.1.11', 'fd01:1::11'];
const C3 = '10.1.1.13';

interface Row {
  text: string;
  src: string;
  dst: string;
  depth: number;
  kind: number;
  vni: number;
  endpoint: number;
  tunnelId: number;
  wireLen: number;
  proto: number;
  dport: number;
}

/** Every row of the capture; `text` holds what the inner packet is (not the tunnel columns nor wireLen). */
async function rows(file: string, opts: PassOptions = {}): Promise<{ rows: Row[]; summary: CaptureSummary }> {
  const out: Row[] = [];
  const summary = await summarizeCapture(M(file), { jobs: 1, ...opts }, (b: PacketBatch) => {
    for (let i = 0; i < b.length; i++) {
      const fam = b.family[i]!;
      const base = 4 * i;
      const a = (x: Uint32Array) => (fam === 4 ? fmt4(x[base]!) : fam === 6 ? fmt6(x[base]!, x[base + 1]!, x[base + 2]!, x[base + 3]!) : '-');
      let text = `fam ${fam} layer ${b.layer[i]} anomaly ${b.anomaly[i]} frag ${b.frag[i]} app ${b.appFlags[i]}`;
      if (fam !== 0) {
        text += ` ${a(b.src)} > ${a(b.dst)} proto ${b.proto[i]} ttl ${b.ttl[i]} id ${b.ipId[i]} ports ${b.sport[i]}>${b.dport[i]} payload ${b.payloadLen[i]}`;
        if (b.frag[i] !== 0) text += ` fragId ${b.fragId[i]}`;
        if (b.layer[i] === 3 && b.proto[i] === 6) text += ` flags ${b.tcpFlags[i]} seq ${b.tcpSeq[i]} ack ${b.tcpAck[i]} win ${b.tcpWindow[i]}`;
        if (b.layer[i] === 3 && b.proto[i] === 6 && b.tcpFlags[i]! & 2) text += ` opts ${b.tcpOptLayout[i]} mss ${b.tcpMss[i]} ws ${b.tcpWscale[i]}`;
        if (b.layer[i] === 3 && (b.proto[i] === 1 || b.proto[i] === 58)) text += ` icmp ${b.icmpType[i]}/${b.icmpCode[i]} quote ${b.quoteProto[i]}`;
      }
      const depth = b.tunnelDepth[i]!;
      out.push({
        text,
        src: a(b.src),
        dst: a(b.dst),
        depth,
        kind: depth ? b.tunnelKind[i]! : 0,
        vni: depth ? b.tunnelVni[i]! : -1,
        endpoint: depth ? b.tunnelEndpoint[i]! : -1,
        tunnelId: depth ? b.tunnelId[i]! : -1,
        wireLen: b.wireLen[i]!,
        proto: b.proto[i]!,
        dport: b.dport[i]!,
      });
    }
  });
  return { rows: out, summary };
}

/** Multiset difference sizes of two string lists. */
function diff(a: string[], b: string[]): { onlyA: string[]; onlyB: string[] } {
  const m = new Map<string, number>();
  for (const x of a) m.set(x, (m.get(x) ?? 0) + 1);
  const onlyB: string[] = [];
  for (const x of b) {
    const n = m.get(x) ?? 0;
    if (n > 0) m.set(x, n - 1);
    else onlyB.push(x);
  }
  const onlyA = [...m].flatMap(([x, n]) => Array<string>(n).fill(x));
  return { onlyA, onlyB };
}

type Conn = Pick<FlowRecord, 'client' | 'server'>;
const touches = (c: Conn, hosts: string[]) => hosts.includes(c.client) || hosts.includes(c.server);

/** A connection as text without its timestamps, id and mirror sessions (the mirror path adds microseconds). */
function conn(c: FlowRecord, o: { synTtl?: boolean; bytesPerPacket?: number } = {}): string {
  const { firstTs: _f, lastTs: _l, duration: _d, id: _i, mirrorSessions: _m, mirrorSessionsMore: _mm, ...r } = c as FlowRecord & Record<string, unknown>;
  const k = o.bytesPerPacket ?? 0;
  const x: Record<string, unknown> = { ...r, bytes: c.bytes + k * c.packets, clientBytes: c.clientBytes + k * c.clientPackets, serverBytes: c.serverBytes + k * c.serverPackets };
  if (o.synTtl === false && c.syn) x.syn = { ...c.syn, ttl: 'copy-dependent' };
  return JSON.stringify(x);
}

async function serverConnections(file: string, opts: PassOptions = {}, o: Parameters<typeof conn>[1] = {}): Promise<string[]> {
  const a = await analyzeCapture(M(file), { jobs: 1, ...opts });
  return flowRecords(a.connections).filter((c) => touches(c, SERVER)).map((c) => conn(c, o));
}

async function outcomes(file: string, opts: Pick<PassOptions, 'jobs' | 'chunkBytes' | 'decode' | 'dedupe'> = {}): Promise<string[]> {
  const EX = (f: string) => join(REPO_ROOT, 'examples', f);
  const r = await runReplay(M(file), { acls: [EX('classic-return.yaml'), EX('fixed-return.yaml')], subnets: ['10.1.2.0/24', 'fd01:2::/64'], load: {} }, { jobs: 1, ...opts });
  const out: string[] = [];
  for (let s = 0; s < r.report.acls.length; s++) {
    for (let i = 0; i < r.connections.count; i++) {
      if (!touches(flowRecord(r.connections, i) as unknown as Conn, SERVER)) continue;
      const { id: _id, firstTs: _ts, mirrorSessions: _m, mirrorSessionsMore: _mm, ...rec } = verdictRecord(r, s, i);
      out.push(JSON.stringify(rec));
    }
  }
  return out;
}

describe('mirror captures: the same traffic directly and through each encapsulation', () => {
  it('the direct twin holds the traffic the recording made (clients, failures, UDP to 4789, fragments)', async () => {
    const { rows: d, summary } = await rows('direct.pcap');
    expect(summary.tunnels).toEqual([]);
    expect(d.every((r) => r.depth === 0)).toBe(true);
    expect(d.length).toBeGreaterThan(200);
    expect(new Set(d.filter((r) => SERVER.includes(r.dst) && /^(10\.1\.1\.|fd01:1::)/.test(r.src)).map((r) => r.src))).toEqual(new Set(['10.1.1.11', 'fd01:1::11', '10.1.1.12', 'fd01:1::12', '10.1.1.13']));
    expect(d.filter((r) => r.proto === 17 && r.dport === 4789)).toHaveLength(2);
    expect(summary.fragments).toBeGreaterThan(0);
  });

  for (const [file, kind, depth] of [
    ['vxlan.pcap', TunnelKind.VXLAN, 1],
    ['vxlan-truncated.pcap', TunnelKind.VXLAN, 1],
    ['vxlan-in-geneve.pcap', TunnelKind.GENEVE, 2],
  ] as const) {
    it(`${file}: every inner packet (and its length) is a packet of the direct capture`, async () => {
      const { rows: d } = await rows('direct.pcap');
      const { rows: m, summary } = await rows(file);
      const dd = diff(
        d.map((r) => `${r.text} len ${r.wireLen}`),
        m.map((r) => `${r.text} len ${r.wireLen}`),
      );
      expect(dd).toEqual({ onlyA: [], onlyB: [] });
      expect(m.every((r) => r.depth === depth && r.kind === kind)).toBe(true);
      expect(summary.problemTotals).toEqual({});
      expect(summary.packets).toBe(d.length);
      // decap none judges the outer packets: UDP between the tunnel endpoints, nothing else.
      const { rows: outer } = await rows(file, { decode: { decap: 'none' } });
      expect(new Set(outer.map((r) => `${r.proto} ${r.depth}`))).toEqual(new Set(['17 0']));
    });

    it(`${file}: the same connections and the same replay outcomes as the direct capture`, async () => {
      expect(diff(await serverConnections('direct.pcap'), await serverConnections(file))).toEqual({ onlyA: [], onlyB: [] });
      expect(diff(await outcomes('direct.pcap'), await outcomes(file))).toEqual({ onlyA: [], onlyB: [] });
    });
  }

  it('vxlan.pcap: VNI 101 from the server session; ordinary UDP to 4789 inside it stays UDP', async () => {
    const { rows: m, summary } = await rows('vxlan.pcap');
    expect(summary.tunnels).toEqual([
      { kind: 'vxlan', depth: 1, inside: null, outerSrc: '192.168.77.10', outerDst: '192.168.77.2', vni: 101, key: null, session: null, gwlbEndpoint: null, gwlbAttachment: null, packets: m.length },
    ]);
    expect(m.every((r) => r.vni === 101 && r.tunnelId === 0)).toBe(true);
    // c2 sent text and an 8-byte header with the I flag but a reserved byte set to udp/4789: neither is VXLAN.
    const to4789 = m.filter((r) => r.proto === 17 && r.dport === 4789);
    expect(to4789).toHaveLength(2);
    for (const r of to4789) expect(r).toMatchObject({ src: '10.1.1.12', depth: 1, kind: TunnelKind.VXLAN });
  });

  it('vxlan-truncated.pcap: cut to 96 bytes, yet the lengths come from the inner IP headers and no problem is counted', async () => {
    const { rows: m, summary } = await rows('vxlan-truncated.pcap');
    expect(summary.capturedBytes).toBeLessThan((await rows('vxlan.pcap')).summary.capturedBytes);
    expect(m.filter((r) => r.wireLen > 96).length).toBeGreaterThan(50);
    expect(summary.truncatedPackets + summary.malformedPackets).toBe(0);
  });

  it('geneve-gwlb.pcap: IP inner packets as a GWLB delivers them; bytes are the IP packet (14 fewer than the Ethernet frame)', async () => {
    const { rows: d } = await rows('direct.pcap');
    const { rows: g, summary } = await rows('geneve-gwlb.pcap');
    const ip = d.filter((r) => !r.text.startsWith('fam 0'));
    expect(diff(
      ip.map((r) => `${r.text} len ${r.wireLen - 14}`),
      g.map((r) => `${r.text} len ${r.wireLen}`),
    )).toEqual({ onlyA: [], onlyB: [] });
    expect(summary.tunnels.map((t) => [t.kind, t.depth, t.vni, t.gwlbEndpoint, t.gwlbAttachment, t.outerSrc, t.outerDst])).toEqual([
      ['geneve', 1, 0, '0123456789abcdef', '00000a0b0c0d0e0f', '10.99.0.5', '10.99.0.20'],
      ['geneve', 1, 0, '0fedcba987654321', '00000a0b0c0d0e0f', '10.99.0.5', '10.99.0.20'],
    ]);
    // c3 enters through the second endpoint: the interned endpoint id in the rows says so too.
    const viaB = g.filter((r) => r.src === C3 || r.dst === C3);
    expect(summary.tunnels[1]!.packets).toBe(viaB.length);
    expect(new Set(viaB.map((r) => r.endpoint))).toEqual(new Set([2]));
    expect(new Set(g.filter((r) => r.src !== C3 && r.dst !== C3).map((r) => r.endpoint))).toEqual(new Set([1]));
    expect(diff(await serverConnections('direct.pcap', {}, { bytesPerPacket: -14 }), await serverConnections('geneve-gwlb.pcap'))).toEqual({ onlyA: [], onlyB: [] });
    expect(diff(await outcomes('direct.pcap'), await outcomes('geneve-gwlb.pcap'))).toEqual({ onlyA: [], onlyB: [] });
  });

  it('vxlan-in-geneve.pcap: two levels, the VXLAN session inside the GWLB endpoint', async () => {
    const { rows: m, summary } = await rows('vxlan-in-geneve.pcap');
    expect(summary.tunnels.map((t) => [t.kind, t.depth, t.inside, t.vni, t.gwlbEndpoint, t.packets])).toEqual([
      ['geneve', 1, null, 0, '0123456789abcdef', m.length],
      ['vxlan', 2, 0, 101, null, m.length],
    ]);
    expect(m.every((r) => r.tunnelId === 1 && r.endpoint === 1 && r.vni === 0)).toBe(true);
  });
});

describe('the tunnel summary and the sessions of each connection do not depend on chunking', () => {
  for (const f of ['vxlan-in-geneve.pcap', 'both-ends.pcap', 'geneve-gwlb.pcap']) {
    it(`${f}: one chunk, chunks of 4 KiB, workers cutting at offsets: the same tunnels in the same order`, { timeout: 60_000 }, async () => {
      const whole = await summarizeCapture(M(f), { jobs: 1 });
      for (const o of [{ jobs: 1, chunkBytes: 4096 }, { jobs: 2, chunkBytes: 1500 }, { jobs: 3, chunkBytes: 5000 }]) expect((await summarizeCapture(M(f), o)).tunnels, JSON.stringify(o)).toEqual(whole.tunnels);
      expect(whole.tunnels.reduce((n, t) => n + (t.depth === 1 ? t.packets : 0), 0)).toBe(whole.packets);
      const flows = flowRecords((await analyzeCapture(M(f), { jobs: 1 })).connections);
      for (const o of [{ jobs: 1, chunkBytes: 700 }, { jobs: 2, chunkBytes: 2000 }]) expect(flowRecords((await analyzeCapture(M(f), o)).connections), JSON.stringify(o)).toEqual(flows);
    });
  }
});

describe('each connection records the mirror sessions that delivered it', () => {
  const sessionsOf = async (f: string, opts: PassOptions = {}) => {
    const out = new Map<string, number>();
    for (const r of flowRecords((await analyzeCapture(M(f), { jobs: 1, ...opts })).connections) as (FlowRecord & { mirrorSessions?: string[]; mirrorSessionsMore?: boolean })[]) {
      const k = `${r.mirrorSessions?.join(' + ') ?? 'none'}${r.mirrorSessionsMore ? ' + more' : ''}`;
      out.set(k, (out.get(k) ?? 0) + 1);
    }
    return Object.fromEntries(out);
  };

  it('VXLAN: the VNI and the source ENI address; nested: the GWLB endpoint, then the VXLAN session inside it', async () => {
    expect(await sessionsOf('direct.pcap')).toEqual({ none: 47 });
    expect(await sessionsOf('vxlan.pcap')).toEqual({ 'vxlan:101@192.168.77.10': 47 });
    expect(await sessionsOf('vxlan-in-geneve.pcap')).toEqual({ 'gwlb:0123456789abcdef@10.99.0.5/vxlan:101@192.168.77.10': 47 });
  });

  it('the byte writers of flows print the session fields as flowRecord has them (JSON and TSV)', async () => {
    for (const f of ['vxlan-in-geneve.pcap', 'both-ends.pcap', 'geneve-gwlb.pcap']) {
      const ct = (await analyzeCapture(M(f), { jobs: 1 })).connections;
      const w = new FlowWriter(ct);
      const text = () => Buffer.from(w.out.take()).toString('latin1');
      expect(flowFields(ct).fields.at(-1)).toBe('mirrorSessions');
      for (let i = 0; i < ct.count; i++) {
        w.json(i);
        expect(text()).toBe(JSON.stringify(flowRecord(ct, i)));
        w.tsv(i);
        expect(text()).toBe(tsvLine(flowRecord(ct, i), flowFields(ct).fields));
      }
    }
  });

  it('GWLB: c3 comes through the second endpoint', async () => {
    const a = await analyzeCapture(M('geneve-gwlb.pcap'), { jobs: 1 });
    for (const r of flowRecords(a.connections) as (FlowRecord & { mirrorSessions: string[] })[]) {
      expect(r.mirrorSessions, `${r.client} ${r.server}`).toEqual([touches(r, [C3]) ? 'gwlb:0fedcba987654321@10.99.0.5' : 'gwlb:0123456789abcdef@10.99.0.5']);
    }
  });

  it('both ends mirrored: c1 and the server connections show both sessions, the dropped copies\' too', async () => {
    const a = await analyzeCapture(M('both-ends.pcap'), { jobs: 1 });
    let both = 0;
    for (const r of flowRecords(a.connections) as (FlowRecord & { mirrorSessions: string[] })[]) {
      if (!touches(r, SERVER)) continue;
      const expected = touches(r, C1) ? ['vxlan:102@192.168.77.11', 'vxlan:101@192.168.77.10'] : ['vxlan:101@192.168.77.10'];
      expect(new Set(r.mirrorSessions), `${r.client} ${r.server}`).toEqual(new Set(expected));
      if (touches(r, C1)) both++;
    }
    expect(both).toBeGreaterThan(10);
    // Dedupe drops copies, not the sessions that delivered them: every connection names what it names with every copy.
    const kept = await analyzeCapture(M('both-ends.pcap'), { jobs: 1, dedupe: null });
    const key = (r: FlowRecord) => `${r.proto} ${r.client} ${r.clientPort} ${r.server} ${r.serverPort} ${r.firstTs}`;
    const withCopies = new Map(flowRecords(kept.connections).map((r) => [key(r), new Set((r as FlowRecord & { mirrorSessions: string[] }).mirrorSessions)]));
    for (const r of flowRecords(a.connections)) expect(new Set((r as FlowRecord & { mirrorSessions: string[] }).mirrorSessions), key(r)).toEqual(withCopies.get(key(r)));
    // The replay records carry them too.
    const EX = (f: string) => join(REPO_ROOT, 'examples', f);
    const r = await runReplay(M('both-ends.pcap'), { acls: [EX('fixed-return.yaml')], subnets: ['10.1.2.0/24', 'fd01:2::/64'], load: {} }, { jobs: 1 });
    for (let i = 0; i < r.connections.count; i++) expect(verdictRecord(r, 0, i).mirrorSessions).toEqual(flowRecord(r.connections, i).mirrorSessions);
  });
});

describe('both-ends mirror: every packet between c1 and the server arrives twice', () => {
  it('without the DuplicateFilter, c1 connections count each packet twice; with it, the server connections are the direct ones', async () => {
    const { rows: d } = await rows('direct.pcap');
    const c1Packets = d.filter((r) => C1.includes(r.src) || C1.includes(r.dst)).length;
    expect(c1Packets).toBeGreaterThan(50);

    const a = await analyzeCapture(M('both-ends.pcap'), { jobs: 1, dedupe: null });
    const direct = await analyzeCapture(M('direct.pcap'), { jobs: 1 });
    const packetsOf = (ct: typeof a.connections, hosts: string[]) => flowRecords(ct).filter((c) => touches(c, SERVER) && touches(c, hosts)).reduce((n, c) => n + c.packets, 0);
    expect(packetsOf(a.connections, C1)).toBe(2 * packetsOf(direct.connections, C1));
    expect(packetsOf(a.connections, ['10.1.1.12', 'fd01:1::12', C3])).toBe(packetsOf(direct.connections, ['10.1.1.12', 'fd01:1::12', C3]));

    const { summary } = await rows('both-ends.pcap', { dedupe: {} });
    expect(summary.duplicates).toBe(c1Packets);
    expect(summary.decoded.tcp + summary.decoded.udp + summary.decoded.icmp + summary.decoded.other + summary.duplicates).toBe(summary.packets);
    // The copy kept is the first to arrive: from c1's own session for what c1 sends, so the SYN's TTL is c1's.
    expect(diff(await serverConnections('direct.pcap', {}, { synTtl: false }), await serverConnections('both-ends.pcap', { dedupe: {} }, { synTtl: false }))).toEqual({ onlyA: [], onlyB: [] });
    expect(diff(await outcomes('direct.pcap'), await outcomes('both-ends.pcap', { dedupe: {} }))).toEqual({ onlyA: [], onlyB: [] });
    expect(summary.tunnels.map((t) => [t.vni, t.outerSrc])).toEqual([
      [102, '192.168.77.11'],
      [101, '192.168.77.10'],
    ]);
  });

  it('a chunk warmed with the window before it drops exactly what one sequential pass drops', async () => {
    let sequential: number[] = [];
    const differsUnwarmed: number[] = [];
    let cuts = 0;
    await summarizeCapture(M('both-ends.pcap'), { jobs: 1, dedupe: null }, (b: PacketBatch) => {
      const judgeAll = (f: DuplicateFilter, from: number, to: number) => {
        const out: number[] = [];
        for (let i = from; i < to; i++) if (f.judge(b, i)) out.push(i);
        return out;
      };
      const seq = new DuplicateFilter();
      sequential = judgeAll(seq, 0, b.length);
      expect(seq.dropped).toBe(sequential.length);
      // Cut the records into chunks at many places; each chunk's filter is warmed with the records within the
      // window before its first one.
      for (const step of [7, 13, 31, 64, 100]) {
        const warmed: number[] = [];
        const cold: number[] = [];
        for (let start = 0; start < b.length; start += step) {
          const end = Math.min(b.length, start + step);
          const f = new DuplicateFilter();
          let w = start;
          while (w > 0 && b.ts[start]! - b.ts[w - 1]! <= f.windowSeconds) w--;
          for (let i = w; i < start; i++) f.warm(b, i);
          warmed.push(...judgeAll(f, start, end));
          cold.push(...judgeAll(new DuplicateFilter(), start, end));
          cuts++;
        }
        expect(warmed, `chunks of ${step}`).toEqual(sequential);
        if (cold.join() !== sequential.join()) differsUnwarmed.push(step);
      }
    });
    expect(sequential.length).toBeGreaterThan(50);
    expect(cuts).toBeGreaterThan(10);
    // Without the warm-up, chunking would change the answer: the warm-up is what makes it exact.
    expect(differsUnwarmed.length).toBeGreaterThan(0);
  });
});
