/**
 * Replaying the lab's flow logs (captures/flowlogs/) against the ACL that mirrors the server's iptables rules
 * (acls/deployed.json), held to the kernel's own record of the same traffic: the server's eth0 pcap replayed against
 * the same ACL, the NFLOG capture of every packet the kernel dropped (its prefix names the rule), the iptables
 * counters after the run (server-rules.txt) and what each client saw (clients.log). The pcaps are read here with a
 * few lines of their own, not by the project.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runReplay, type ReplayResult } from '../../src/analyze/replay.js';
import { readTraffic } from '../../src/analyze/traffic.js';
import { inferClients } from '../../src/flow/clients.js';
import { protoName } from '../../src/flow/connections.js';
import { clientRecords } from '../helpers/tables.js';
import type { PlanInput } from '../../src/verdict/plan.js';

const dir = new URL('../../captures/flowlogs/', import.meta.url).pathname;
const manifest = JSON.parse(readFileSync(dir + 'manifest.json', 'utf8')) as { interfaces: { id: string; name: string }[] };
const SERVER = manifest.interfaces.find((i) => i.name === 'server')!.id;
const LOGS = ['v2/lab.log', 'v5/lab.log', 'parquet/lab.log.parquet', 's3'];
/** The enforcement boundary of the lab: the server host itself (its iptables are the "network ACL"). */
const AT_SERVER: PlanInput = { acls: [dir + 'acls/deployed.json'], subnets: ['10.1.2.10/32', 'fd01:2::10/128'], load: {} };

/** Read with the default interval (600 s): the pcap's flow table keeps the 45000 DNS queries 40 s apart as one connection, and so does the fold. */
const cache = new Map<string, Promise<ReplayResult>>();
function replay(file: string, input: PlanInput = AT_SERVER): Promise<ReplayResult> {
  const key = `${file} ${JSON.stringify(input)}`;
  if (!cache.has(key)) cache.set(key, runReplay(dir + file, input, { jobs: 1 }));
  return cache.get(key)!;
}

/** A connection's 5-tuple as text (ICMP without ports and without a side: flow logs cannot tell an echo's requester). */
function tupleOf(r: ReplayResult, i: number): string {
  const ct = r.connections;
  const c = `${ct.addresses.text(ct.client[i]!)}:${ct.ported(i) ? ct.clientPort[i] : ''}`;
  const s = `${ct.addresses.text(ct.server[i]!)}:${ct.ported(i) ? ct.serverPort[i] : ''}`;
  const p = protoName(ct.proto[i]!);
  return p === 'icmp' || p === 'icmp6' ? `${p} ${[c, s].sort().join(' ')}` : `${p} ${c} > ${s}`;
}

/** Outcomes per 5-tuple (sorted: a 5-tuple reused after a silence is two connections). */
function outcomes(r: ReplayResult, keep: (i: number) => boolean): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (let i = 0; i < r.connections.count; i++) {
    if (!keep(i)) continue;
    const k = tupleOf(r, i);
    out.set(k, [...(out.get(k) ?? []), r.verdicts.outcomeOf(0, i)].sort());
  }
  return out;
}

/** NFLOG drops (linktype 239: TLVs in host order, prefix type 10, payload type 9) as prefix, 5-tuple. */
function nflogDrops(): { prefix: string; proto: number; src: string; dst: string; sport: number; dport: number }[] {
  const b = readFileSync(dir + 'server-drops.pcap');
  expect(b.readUInt32LE(20)).toBe(239);
  const out: ReturnType<typeof nflogDrops> = [];
  for (let o = 24; o + 16 <= b.length; ) {
    const incl = b.readUInt32LE(o + 8);
    const data = b.subarray(o + 16, o + 16 + incl);
    o += 16 + incl;
    let prefix = '';
    let ip: Buffer | null = null;
    for (let t = 4; t + 4 <= data.length; ) {
      const len = data.readUInt16LE(t);
      const type = data.readUInt16LE(t + 2) & 0x7fff;
      if (len < 4) break;
      if (type === 10) prefix = data.subarray(t + 4, t + len).toString('latin1').replace(/\0+$/, '');
      if (type === 9) ip = data.subarray(t + 4, t + len);
      t += (len + 3) & ~3;
    }
    if (!ip || ip[0]! >> 4 !== 4) continue;
    const l4 = (ip[0]! & 15) * 4;
    out.push({ prefix, proto: ip[9]!, src: [...ip.subarray(12, 16)].join('.'), dst: [...ip.subarray(16, 20)].join('.'), sport: ip.readUInt16BE(l4), dport: ip.readUInt16BE(l4 + 2) });
  }
  return out;
}

/** The NACL rule each NFLOG prefix stands for in acls/deployed.json (IPv4; the lab's drops are IPv4). */
const RULE_OF_PREFIX: Record<string, (proto: number) => { direction: 'inbound' | 'outbound'; rule: number }> = {
  'ingress-deny-tcp-8080': () => ({ direction: 'inbound', rule: 100 }),
  'egress-deny-dport-lt-32768': (proto) => ({ direction: 'outbound', rule: proto === 6 ? 100 : 110 }),
};

/** iptables counters after the run (server-rules.txt, IPv4 table): packets per NFLOG prefix and protocol. */
function iptablesDrops(): Map<string, number> {
  const out = new Map<string, number>();
  const text = readFileSync(dir + 'server-rules.txt', 'utf8').split('Chain INPUT')[1]!; // the IPv4 table is first
  for (const line of ('Chain INPUT' + text.split(/\nChain INPUT/)[0]).split('\n')) {
    const m = /^\s*(\d+)\s+\d+\s+NFLOG\s+(\d+).*nflog-prefix (\S+)/.exec(line);
    if (m) out.set(`${m[3]} ${m[2]}`, Number(m[1]));
  }
  return out;
}

describe('flow logs replayed against the deployed ACL = the kernel', () => {
  it('the same per-connection outcomes from the logs (v2, v5, Parquet, S3 gzip) as from the pcap of the same traffic', async () => {
    const pcap = await replay('server.pcap');
    // What flow logs do not record: ICMPv6 neighbour discovery (and link-local traffic, which no NACL sees).
    const fromPcap = outcomes(pcap, (i) => !(pcap.connections.proto[i] === 58 && pcap.connections.icmpType[i]! >= 133 && pcap.connections.icmpType[i]! <= 137));
    expect(fromPcap.size).toBeGreaterThan(35);
    expect([...fromPcap.values()].flat()).toEqual(expect.arrayContaining(['ok', 'return-blocked', 'forward-blocked']));
    for (const f of LOGS) {
      const r = await replay(f);
      const logs = r.connections.logs!;
      const fromLogs = outcomes(r, (i) => logs.interfaces[logs.iface[i]!] === SERVER);
      expect(Object.fromEntries([...fromLogs].sort()), f).toEqual(Object.fromEntries([...fromPcap].sort()));
    }
  });

  it('rule hits weigh every logged packet: the denying rules count exactly the packets iptables dropped', async () => {
    const counters = iptablesDrops();
    expect(counters.get('egress-deny-dport-lt-32768 6')).toBe(36);
    for (const f of LOGS) {
      const r = await replay(f);
      const hits = (direction: string, rule: number) => r.report.acls[0]!.rules.find((x) => x.direction === direction && x.number === rule)!.hits;
      expect(hits('inbound', 100), f).toBe(counters.get('ingress-deny-tcp-8080 6'));
      expect(hits('outbound', 100), f).toBe(counters.get('egress-deny-dport-lt-32768 6'));
      expect(hits('outbound', 110), f).toBe(counters.get('egress-deny-dport-lt-32768 17'));
    }
  });

  it('every REJECT record of the enforced lab is attributed to the rule that dropped it (its NFLOG prefix)', async () => {
    const drops = nflogDrops();
    expect(drops.length).toBeGreaterThan(40);
    for (const f of LOGS) {
      const r = await replay(f);
      const ct = r.connections;
      const logs = ct.logs!;
      let rejectPackets = 0;
      for (let i = 0; i < ct.count; i++) {
        for (const side of [0, 1]) {
          const k = 2 * i + side;
          if (logs.rejectRecords[k] === 0) continue;
          expect(logs.interfaces[logs.iface[i]!]).toBe(SERVER);
          const src = ct.addresses.text(side === 0 ? ct.client[i]! : ct.server[i]!);
          const dst = ct.addresses.text(side === 0 ? ct.server[i]! : ct.client[i]!);
          const sport = side === 0 ? ct.clientPort[i]! : ct.serverPort[i]!;
          const dport = side === 0 ? ct.serverPort[i]! : ct.clientPort[i]!;
          const dropped = drops.filter((d) => d.proto === ct.proto[i] && d.src === src && d.dst === dst && d.sport === sport && d.dport === dport);
          expect(dropped.length, `${src}:${sport} > ${dst}:${dport}`).toBe(logs.rejectPackets[k]);
          const prefixes = new Set(dropped.map((d) => d.prefix));
          expect(prefixes.size).toBe(1);
          const want = RULE_OF_PREFIX[[...prefixes][0]!]!(ct.proto[i]!);
          const d = r.verdicts.direction(0, i, side === 0);
          expect({ direction: d.direction, rule: d.rule, action: d.action }).toEqual({ ...want, action: 'deny' });
          rejectPackets += logs.rejectPackets[k]!;
        }
      }
      expect(rejectPackets, f).toBe(drops.length);
      // The contract's view: one entry per rule, all `network-acl`, packets as NFLOG counted them.
      const ex = r.report.rejectExplanations!;
      expect(ex.every((e) => e.cause === 'network-acl' && e.interface === SERVER && e.acl === 'acl-0f10000000000d001')).toBe(true);
      const byRule = Object.fromEntries(ex.map((e) => [`${e.direction} ${e.rule}`, e.packets]));
      const want: Record<string, number> = {};
      for (const d of drops) {
        const w = RULE_OF_PREFIX[d.prefix]!(d.proto);
        want[`${w.direction} ${w.rule}`] = (want[`${w.direction} ${w.rule}`] ?? 0) + 1;
      }
      expect(byRule, f).toEqual(want);
      for (const e of ex) for (const x of e.examples) expect(x).toMatch(/:\d+$/);
    }
  });

  it('with the ACL on its real subnet (--subnets: 10.1.2.0/24 holds the NAT gateway too), the REJECTs of traffic to the gateway are not the network ACL', async () => {
    const r = await replay('v5/lab.log', { acls: [dir + 'acls/deployed.json'], subnets: [], subnetsFile: dir + 'acls/describe-subnets.json', load: {} });
    expect(r.report.acls[0]!.subnets).toEqual(['10.1.2.0/24', 'fd01:2::/64']);
    const ex = r.report.rejectExplanations!;
    const notAcl = ex.filter((e) => e.cause === 'not-network-acl');
    expect(notAcl).toHaveLength(1);
    expect(notAcl[0]).toMatchObject({ rule: null, direction: 'outbound', interface: SERVER });
    // exactly the server's rejected replies to the gateway (10.1.2.20): inside the subnet, no NACL sees them
    const ct = r.connections;
    const logs = ct.logs!;
    let toGateway = 0;
    for (let i = 0; i < ct.count; i++) if (ct.addresses.text(ct.client[i]!) === '10.1.2.20' && logs.interfaces[logs.iface[i]!] === SERVER) toGateway += logs.rejectRecords[2 * i + 1]!;
    expect(notAcl[0]!.records).toBe(toGateway);
    expect(ex.filter((e) => e.cause === 'network-acl').reduce((n, e) => n + e.records, 0) + toGateway).toBe(r.summary.format === 'vpc-flow-logs' ? r.summary.recordsByAction.reject : -1);
  });

  it('REJECTs an ACL does not reproduce are not-network-acl: allowed (with the allowing rule), or on no boundary it guards (rule null)', async () => {
    const allowAll = join(mkdtempSync(join(tmpdir(), 'aclreplay-rejects-')), 'allow-all.yaml');
    writeFileSync(allowAll, 'acls:\n  - id: allow-all\n    inbound:\n      - { rule: 100, proto: all, cidr: 0.0.0.0/0, action: allow }\n      - { rule: 101, proto: all, cidr: "::/0", action: allow }\n    outbound:\n      - { rule: 100, proto: all, cidr: 0.0.0.0/0, action: allow }\n      - { rule: 101, proto: all, cidr: "::/0", action: allow }\n');
    const allowed = await replay('v5/lab.log', { acls: [allowAll], subnets: AT_SERVER.subnets, load: {} });
    const a = allowed.report.rejectExplanations!;
    expect(a.map((e) => `${e.cause} ${e.direction} ${e.rule}`).sort()).toEqual(['not-network-acl inbound 100', 'not-network-acl outbound 100']);
    const elsewhere = await replay('v5/lab.log', { acls: [dir + 'acls/deployed.json'], subnets: ['10.9.9.0/24'], load: {} });
    const e = elsewhere.report.rejectExplanations!;
    // the ACL sees none of them: direction from the records' flow-direction
    expect(e.map((x) => `${x.cause} ${x.direction} ${x.rule}`).sort()).toEqual(['not-network-acl inbound null', 'not-network-acl outbound null']);
    expect(e.reduce((n, x) => n + x.records, 0)).toBe(a.reduce((n, x) => n + x.records, 0));
  });

  it('the return drop is found and pinned on the explicit denies that cover the failing clients (clients.log timeouts)', async () => {
    const seen = readFileSync(dir + 'clients.log', 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { client: string; dport?: number; sport?: number; result?: string; dst: string });
    // Clients the server sees with their own ports (behind-nat is seen as the gateway's ports).
    const failing = seen.filter((c) => c.result === 'timeout' && c.dport !== 8080 && c.client !== 'behind-nat' && c.dst === '10.1.2.10');
    expect(failing.length).toBeGreaterThan(3);
    const inside = (ports: string, p: number) => ports.split(', ').some((r) => {
      const [a, b] = r.split('-').map(Number);
      return p >= a! && p <= (b ?? a)!;
    });
    for (const f of LOGS) {
      const r = await replay(f);
      const diags = r.report.acls[0]!.diagnoses.filter((d) => d.code === 'RETURN_PORT_NOT_ALLOWED');
      expect(diags.map((d) => d.protocol).sort(), f).toEqual(['tcp', 'udp']);
      for (const d of diags) {
        // Egress 100 / 110 deny tcp / udp 0-32767 explicitly: a fix never shadows an explicit deny, so it has no
        // change, is not verified, and names the deny with the ports it keeps closed.
        const fix = d.fix as { verified: boolean; changes: unknown[]; deniesInForce: { rule: number; ports: string }[]; note: string };
        expect(fix).toMatchObject({ verified: false, changes: [] });
        expect(fix.deniesInForce.map((x) => x.rule), f).toEqual([d.protocol === 'tcp' ? 100 : 110]);
        const ports = fix.deniesInForce[0]!.ports;
        for (const c of failing.filter((x) => (d.protocol === 'tcp' ? x.dport === 80 : x.dport === 53))) expect(inside(ports, c.sport!), `${c.client}:${c.sport} in ${ports}`).toBe(true);
        // and the whole Windows XP range (1025-5000) the failing client draws from
        expect(inside(ports, 1025) && inside(ports, 5000)).toBe(true);
        expect(fix.note).toMatch(/an explicit deny is never overridden/);
      }
    }
  });


  it('client port ranges from the logs match the pcap, with no more confidence (no TTL, no SYN options)', async () => {
    const pcap = clientRecords(inferClients((await readTraffic([dir + 'server.pcap'], { jobs: 1 })).connections));
    const logged = await readTraffic([dir + 'v5/lab.log'], { flowLogInterval: 10 });
    const logs = logged.connections.logs!;
    const fromLogs = clientRecords(inferClients(logged.connections));
    expect(logs.interfaces).toContain(SERVER);
    for (const p of pcap) {
      const l = fromLogs.find((c) => c.host === p.host);
      if (!l || p.ports < 3) continue;
      // The lab's "windows" client is a Linux kernel with Windows' range: its TTL of 64 makes the pcap say macos
      // (same range); the logs, without a TTL, can only rank the profiles of that range by their priors.
      expect(l.range, p.host).toEqual(p.range);
      expect(l.confidence, p.host).toBeLessThanOrEqual(p.confidence);
      expect(l.evidence.initialTtl).toBeNull();
      expect(l.note).toMatch(/flow logs carry no TTL or SYN options/);
    }
    const windows = fromLogs.find((c) => c.host === '10.1.1.12')!;
    expect(windows.alternatives.map((a) => a.profile)).toContain('macos');
    expect(windows.confidence).toBeLessThan(0.9); // macOS shares 49152-65535, and only a TTL or SYN options tell them apart
  });
});
