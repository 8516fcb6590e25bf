/**
 * The translated rules in a real kernel: a server namespace enforcing a literal ACL, a client namespace probing one
 * port class after another. Each probe's expected outcome and the rule that drops it are written out by hand from
 * the ACL below (AWS semantics), not computed by aclreplay; the kernel's answer and its NFLOG prefix must match.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAclText } from '../../src/acl/load.js';
import { createNamespace, deleteNamespace, haveTool, ipBatch, labUnavailable, nsRun, settleNeighbours, veth, waitIpv6Ready } from './netns.js';
import { readLabPcap } from './pcap.js';
import { runClientAgent, sleep, startCapture, startServerAgent, stopCapture, type ClientReport } from './spawn.js';
import { restoreInput, translateAcl } from './translate.js';

const ACL = `
id: probe-nacl
inbound:
  - { rule: 90, proto: tcp, ports: 443, cidr: 10.9.1.0/24, action: deny }
  - { rule: 100, proto: tcp, ports: 80-81, cidr: 0.0.0.0/0, action: allow }
  - { rule: 101, proto: tcp, ports: 80, cidr: "::/0", action: allow }
  - { rule: 110, proto: udp, ports: 53, cidr: 0.0.0.0/0, action: allow }
  - { rule: 120, proto: icmp, icmp: { type: 8 }, cidr: 0.0.0.0/0, action: allow }
  - { rule: 121, proto: icmpv6, icmp: { type: 128 }, cidr: "::/0", action: allow }
outbound:
  - { rule: 50, proto: tcp, ports: 40000-40999, cidr: 0.0.0.0/0, action: deny }
  - { rule: 100, proto: tcp, ports: 1024-65535, cidr: 0.0.0.0/0, action: allow }
  - { rule: 101, proto: tcp, ports: 49152-65535, cidr: "::/0", action: allow }
  - { rule: 110, proto: udp, ports: 32768-65535, cidr: 10.9.1.0/24, action: allow }
  - { rule: 120, proto: icmp, icmp: { type: 0, code: 0 }, cidr: 0.0.0.0/0, action: allow }
  - { rule: 121, proto: icmpv6, icmp: { type: 129 }, cidr: "::/0", action: allow }
`;

const CLI4 = '10.9.1.11';
const CLI6 = 'fd00:9:1::11';
const SRV4 = '10.9.2.10';
const SRV6 = 'fd00:9:2::10';
const GROUP = 21;

/** One probe: source port the client binds, destination, and what the ACL says (null = passes). */
interface Probe {
  id: string;
  proto: 'tcp' | 'udp';
  family: 4 | 6;
  sport: number;
  dport: number;
  /** The NFLOG prefix of the rule that drops it, or null when it gets through. */
  droppedBy: string | null;
}

const PROBES: Probe[] = [
  { id: 'tcp4-return-allowed', proto: 'tcp', family: 4, sport: 30000, dport: 80, droppedBy: null },
  { id: 'tcp4-return-explicit-deny', proto: 'tcp', family: 4, sport: 40500, dport: 80, droppedBy: 'nacl:egress:50' },
  { id: 'tcp4-return-below-1024', proto: 'tcp', family: 4, sport: 1000, dport: 80, droppedBy: 'nacl:egress:*' },
  { id: 'tcp4-range-second-port', proto: 'tcp', family: 4, sport: 30002, dport: 81, droppedBy: null },
  { id: 'tcp4-forward-explicit-deny', proto: 'tcp', family: 4, sport: 30001, dport: 443, droppedBy: 'nacl:ingress:90' },
  { id: 'tcp4-forward-default-deny', proto: 'tcp', family: 4, sport: 30003, dport: 8080, droppedBy: 'nacl:ingress:*' },
  { id: 'udp4-answered', proto: 'udp', family: 4, sport: 40001, dport: 53, droppedBy: null },
  { id: 'udp4-return-default-deny', proto: 'udp', family: 4, sport: 20000, dport: 53, droppedBy: 'nacl:egress:*' },
  { id: 'udp4-forward-default-deny', proto: 'udp', family: 4, sport: 40002, dport: 5353, droppedBy: 'nacl:ingress:*' },
  { id: 'tcp6-return-allowed', proto: 'tcp', family: 6, sport: 50000, dport: 80, droppedBy: null },
  // IPv4 rule 100 would allow it; IPv6 packets meet only IPv6 rules.
  { id: 'tcp6-return-only-v6-rules', proto: 'tcp', family: 6, sport: 40000, dport: 80, droppedBy: 'nacl:egress:*' },
  { id: 'udp6-forward-default-deny', proto: 'udp', family: 6, sport: 50001, dport: 53, droppedBy: 'nacl:ingress:*' },
];

const why = labUnavailable();
if (why) process.stderr.write(`SKIP kernel enforcement of translated ACLs: ${why}\n`);

describe.skipIf(why !== null)('translated ACL enforced by the kernel', () => {
  let srv = '';
  let cli = '';
  let dir = '';
  let reports = new Map<string, ClientReport>();
  let drops: { prefix: string; proto: number; src: string; sport: number; dst: string; dport: number; icmpType: number }[] = [];
  let pings: Record<string, boolean> = {};
  let loopback: ClientReport | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ack-translate-'));
    srv = createNamespace('tsrv', ['net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0']);
    cli = createNamespace('tcli', ['net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0']);
    veth(srv, 'eth0', cli, 'eth0');
    // Two subnets on one link (on-link /16 and /32 routes): client traffic crosses the server's 10.9.2.0/24.
    ipBatch(srv, [`addr add ${SRV4}/16 dev eth0`, `addr add ${SRV6}/32 dev eth0 nodad`, 'link set eth0 up']);
    ipBatch(cli, [`addr add ${CLI4}/16 dev eth0`, `addr add ${CLI6}/32 dev eth0 nodad`, 'link set eth0 up']);
    waitIpv6Ready(srv);
    waitIpv6Ready(cli);
    settleNeighbours([
      [cli, SRV6],
      [cli, SRV4],
    ]);
    const [acl] = parseAclText(ACL, 'probe.yaml');
    const rs = translateAcl(acl!, { iface: 'eth0', nflogGroup: GROUP, subnets: ['10.9.2.0/24', 'fd00:9:2::/64'] });
    nsRun(srv, 'iptables-restore', [], { input: restoreInput(rs.iptables) });
    nsRun(srv, 'ip6tables-restore', [], { input: restoreInput(rs.ip6tables) });

    const server = await startServerAgent(srv, [SRV4, SRV6], [80, 81, 443, 8080], [53, 5353]);
    const log = await startCapture(srv, `nflog:${GROUP}`, join(dir, 'drops.pcap'));
    try {
      const plan = {
        attempts: PROBES.map((p) => ({ id: p.id, proto: p.proto, dst: p.family === 6 ? SRV6 : SRV4, dport: p.dport, src: p.family === 6 ? CLI6 : CLI4, sport: p.sport })),
        tcpTimeoutMs: 1500,
        udpTimeoutMs: 1000,
        concurrency: 64,
        spacingMs: 0,
      };
      const [rep, lo] = await Promise.all([
        runClientAgent(cli, plan, join(dir, 'plan.json')),
        // From the server itself to its own address: through lo, which the ACL never filters (ingress * would drop 8080).
        runClientAgent(srv, { ...plan, attempts: [{ id: 'loopback', proto: 'tcp', dst: SRV4, dport: 8080 }] }, join(dir, 'plan-lo.json')),
      ]);
      reports = new Map(rep.map((r) => [r.id, r]));
      loopback = lo[0];
      if (haveTool('ping')) {
        for (const [name, args] of [
          ['ping4', ['-4', '-c', '1', '-W', '1', SRV4]],
          ['ping6', ['-6', '-c', '1', '-W', '1', SRV6]],
        ] as const) {
          pings[name] = nsRun(cli, 'ping', [...args], { allowFail: true }).includes(' 0% packet loss');
        }
      }
      await sleep(200);
    } finally {
      await server.stop();
      await stopCapture(log);
    }
    drops = readLabPcap(join(dir, 'drops.pcap')).map((p) => ({ prefix: p.prefix ?? '', proto: p.proto, src: p.src, sport: p.sport, dst: p.dst, dport: p.dport, icmpType: p.icmpType }));
  }, 60_000);

  afterAll(() => {
    if (srv) deleteNamespace(srv);
    if (cli) deleteNamespace(cli);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const p of PROBES) {
    it(`${p.id}: ${p.proto}/IPv${p.family} ${p.sport} -> ${p.dport} ${p.droppedBy ? `dropped by ${p.droppedBy}` : 'passes'}`, () => {
      const r = reports.get(p.id);
      expect(r, 'the client reported the probe').toBeDefined();
      expect(r!.localPort).toBe(p.sport);
      expect(r!.outcome).toBe(p.droppedBy ? 'timeout' : p.proto === 'tcp' ? 'connected' : 'answered');
      // The drops that name this probe: a packet from it (ingress) or to it (egress).
      const srvAddr = p.family === 6 ? SRV6 : SRV4;
      const mine = drops.filter((d) => (d.sport === p.sport && d.dport === p.dport && d.dst === srvAddr) || (d.sport === p.dport && d.dport === p.sport && d.src === srvAddr));
      expect([...new Set(mine.map((d) => d.prefix))]).toEqual(p.droppedBy ? [p.droppedBy] : []);
    });
  }

  it('traffic over lo is not filtered (the ACL sits on the external interface only)', () => {
    expect(loopback?.outcome).toBe('connected');
  });

  it.skipIf(!haveTool('ping'))('ICMP echo by type: IPv4 8 in / 0 out, IPv6 128 in / 129 out (neighbour discovery is not filtered)', () => {
    expect(pings).toEqual({ ping4: true, ping6: true });
  });

  it('nothing else was dropped (no neighbour discovery, no stray packets)', () => {
    const explained = drops.filter((d) => PROBES.some((p) => p.droppedBy && (d.sport === p.sport || d.dport === p.sport)));
    expect(drops.length - explained.length).toBe(0);
  });
});
