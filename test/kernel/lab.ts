/**
 * The kernel lab: the topology of scripts/record-captures.sh in `ack-` network namespaces, a server whose own
 * iptables enforce a network ACL statelessly (./translate.ts), tcpdump on the router side of the server link (so
 * replies the server's egress rules drop are absent from the capture, as in captures/return-drop.pcap) and on the
 * server's NFLOG group (drops, with the rule that made them), and clients that connect from ports they bind to or
 * from ports the kernel picks. Each run writes the pcap, the NFLOG capture and a JSON of every attempt with the
 * source port the server saw (after NAT), and whether it connected / was answered.
 *
 *   linux    10.0.1.11 fd00:1::11   32768-60999 --+
 *   windows  10.0.1.12 fd00:1::12   49152-65535 --+-- br-cli (rtr) 10.0.1.1 fd00:1::1
 *   winxp    10.0.1.13               1025-5000  --+        |
 *   nat      10.0.1.20 (outside, masquerade random 1024-65535)   rtr (forwarding)
 *     natc   10.0.3.11 behind it     32768-60999              |  r-srv 10.0.2.1 fd00:2::1   <- tcpdump here
 *                                                    srv  eth0 10.0.2.10 fd00:2::10        <- iptables = the ACL
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Acl } from '../../src/acl/model.js';
import { createNamespace, deleteNamespace, ipBatch, nsRun, settleNeighbours, sweepStaleNamespaces, txChecksumOff, veth, waitIpv6Ready } from './netns.js';
import { readLabPcap, type LabPacket } from './pcap.js';
import { runClientAgent, sleep, startCapture, startServerAgent, stopCapture, type ClientPlan, type ClientReport } from './spawn.js';
import { commandLines, restoreInput, translateAcl, type KernelRuleset } from './translate.js';


export type ClientName = 'linux' | 'windows' | 'windows-legacy' | 'nat';
export const CLIENT_NAMES: readonly ClientName[] = ['linux', 'windows', 'windows-legacy', 'nat'];

/** A client of the lab: where it runs, its addresses, and the addresses and ports the server sees. */
export interface LabClient {
  name: ClientName;
  namespace: string;
  ipv4: string;
  ipv6: string | null;
  seenIpv4: string;
  seenIpv6: string | null;
  /** ip_local_port_range of its namespace. */
  portRange: [number, number];
  /** Source ports the server can see from it (the NAT's range for the client behind it). */
  seenRange: [number, number];
  /** The masquerading namespace in front of it, if any. */
  natNamespace: string | null;
}

/** The server's addresses and the subnets its ACL guards. */
export const SERVER = { ipv4: '10.0.2.10', ipv6: 'fd00:2::10', subnets: ['10.0.2.0/24', 'fd00:2::/64'], iface: 'eth0' } as const;
/** NFLOG group of the server's drops. */
export const NFLOG_GROUP = 13;
/** Services the server always offers. */
export const DEFAULT_TCP_PORTS = [80, 443];
export const DEFAULT_UDP_PORTS = [53];

/** One planned attempt. `sport` set = bind to it first; unset = the kernel picks the port. */
export interface AttemptSpec {
  client: ClientName;
  proto: 'tcp' | 'udp';
  family: 4 | 6;
  dport: number;
  sport?: number;
}

/** What happened to one attempt. */
export interface Attempt extends AttemptSpec {
  id: string;
  namespace: string;
  mode: 'bind' | 'kernel';
  /** Launch order among the client's attempts (= the order of its connect() calls). */
  seq: number;
  /** The client socket's own port (before NAT). */
  localPort: number | null;
  /** Address and source port as the server saw them (after NAT), from the capture / NAT table / server's answer. */
  sourceAddress: string;
  sourcePort: number | null;
  server: string;
  /** connected (TCP handshake and answer), answered (UDP), timeout, refused, error:<code>. */
  outcome: string;
  ok: boolean;
  /** When the attempt started (epoch ms, the capture's clock) and how long it took. */
  startMs: number;
  elapsedMs: number;
  /** Packets of the attempt's client->server direction in the capture, and SYNs among them. */
  capturedForward: number;
  capturedReturn: number;
  /** Capture time (s) of its first client-to-server packet; null when the capture has none. */
  firstTs: number | null;
  syns: number;
  /** NFLOG prefixes of the packets the server's rules dropped for this attempt (e.g. nacl:egress:*). */
  drops: string[];
}

export interface RunOptions {
  /** File names: <outDir>/<name>.pcap, .nflog.pcap, .attempts.json. */
  name: string;
  outDir: string;
  attempts: AttemptSpec[];
  tcpTimeoutMs?: number;
  udpTimeoutMs?: number;
  /** Attempts in flight per client. */
  concurrency?: number;
  /** Pause between launches per client (ms). */
  spacingMs?: number;
  /** Extra listening ports on top of 80/443 (TCP) and 53 (UDP). */
  tcpPorts?: number[];
  udpPorts?: number[];
}

export interface RunResult {
  name: string;
  acl: string | null;
  pcap: string;
  nflog: string;
  json: string;
  attempts: Attempt[];
  /** Dropped packets per NFLOG prefix. */
  drops: Record<string, number>;
  durationMs: number;
  /** Lab inconsistencies (e.g. NAT mapping unknown): empty on a clean run. */
  problems: string[];
}

/** Conntrack entries of a NAT namespace: original tuple -> the source port after NAT. */
function natMappings(ns: string): Map<string, number> {
  const out = new Map<string, number>();
  const text = nsRun(ns, 'cat', ['/proc/net/nf_conntrack'], { allowFail: true });
  for (const line of text.split('\n')) {
    const proto = /^\S+\s+\d+\s+(tcp|udp)\s/.exec(line)?.[1];
    if (!proto) continue;
    const src = [...line.matchAll(/src=(\S+)/g)].map((m) => m[1]!);
    const dst = [...line.matchAll(/dst=(\S+)/g)].map((m) => m[1]!);
    const sport = [...line.matchAll(/sport=(\d+)/g)].map((m) => Number(m[1]));
    const dport = [...line.matchAll(/dport=(\d+)/g)].map((m) => Number(m[1]));
    if (src.length < 2 || sport.length < 2) continue;
    out.set(`${proto} ${src[0]} ${sport[0]} ${dst[0]} ${dport[0]}`, dport[1]!);
  }
  return out;
}

/** A seeded PRNG (xorshift32) so a plan can be repeated. */
export function seeded(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}

/** The lab: namespaces up in the constructor's `start()`, torn down by `stop()` (and on process exit regardless). */
export class KernelLab {
  readonly clients: LabClient[];
  readonly server: string;
  readonly router: string;
  private readonly namespaces: string[] = [];
  private readonly usedPorts = new Map<ClientName, Set<number>>();
  private ruleset: KernelRuleset | null = null;
  private aclId: string | null = null;
  private runs = 0;

  private constructor(private readonly log: (line: string) => void) {
    const ns = (role: string, sysctls: string[]) => {
      const n = createNamespace(role, ['net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0', ...sysctls]);
      this.namespaces.push(n);
      return n;
    };
    const noV6 = ['net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1'];
    this.router = ns('rtr', ['net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1']);
    this.server = ns('srv', []);
    const linux = ns('linux', ['net.ipv4.ip_local_port_range=32768 60999', 'net.ipv4.ip_default_ttl=64']);
    const win = ns('win', ['net.ipv4.ip_local_port_range=49152 65535', 'net.ipv4.ip_default_ttl=128', 'net.ipv6.conf.default.hop_limit=128']);
    const winxp = ns('winxp', ['net.ipv4.ip_local_port_range=1025 5000', 'net.ipv4.ip_default_ttl=128', ...noV6]);
    const nat = ns('nat', ['net.ipv4.ip_forward=1', ...noV6]);
    const natc = ns('natc', ['net.ipv4.ip_local_port_range=32768 60999', 'net.ipv4.ip_default_ttl=64', ...noV6]);

    veth(this.router, 'r-srv', this.server, 'eth0');
    ipBatch(this.router, ['link add br-cli type bridge stp_state 0 forward_delay 0 mcast_snooping 0']);
    const legs: [string, string][] = [
      ['c-linux', linux],
      ['c-win', win],
      ['c-winxp', winxp],
      ['c-nat', nat],
    ];
    for (const [leg, n] of legs) veth(this.router, leg, n, 'eth0');
    veth(nat, 'eth1', natc, 'eth0');
    ipBatch(this.router, [
      ...legs.flatMap(([leg]) => [`link set ${leg} master br-cli`, `link set ${leg} up`]),
      'addr add 10.0.2.1/24 dev r-srv',
      'addr add fd00:2::1/64 dev r-srv nodad',
      'addr add 10.0.1.1/24 dev br-cli',
      'addr add fd00:1::1/64 dev br-cli nodad',
      'link set r-srv up',
      'link set br-cli up',
    ]);
    ipBatch(this.server, ['addr add 10.0.2.10/24 dev eth0', 'addr add fd00:2::10/64 dev eth0 nodad', 'link set eth0 up', 'route add default via 10.0.2.1', 'route add default via fd00:2::1']);
    ipBatch(linux, ['addr add 10.0.1.11/24 dev eth0', 'addr add fd00:1::11/64 dev eth0 nodad', 'link set eth0 up', 'route add default via 10.0.1.1', 'route add default via fd00:1::1']);
    ipBatch(win, ['addr add 10.0.1.12/24 dev eth0', 'addr add fd00:1::12/64 dev eth0 nodad', 'link set eth0 up', 'route add default via 10.0.1.1', 'route add default via fd00:1::1']);
    ipBatch(winxp, ['addr add 10.0.1.13/24 dev eth0', 'link set eth0 up', 'route add default via 10.0.1.1']);
    ipBatch(nat, ['addr add 10.0.1.20/24 dev eth0', 'addr add 10.0.3.1/24 dev eth1', 'link set eth0 up', 'link set eth1 up', 'route add default via 10.0.1.1']);
    ipBatch(natc, ['addr add 10.0.3.11/24 dev eth0', 'link set eth0 up', 'route add default via 10.0.3.1']);
    // The NAT of record-captures.sh: TCP and UDP sources mapped to random ports of 1024-65535.
    nsRun(nat, 'iptables-restore', [], {
      input: [
        '*nat',
        ':PREROUTING ACCEPT [0:0]',
        ':INPUT ACCEPT [0:0]',
        ':OUTPUT ACCEPT [0:0]',
        ':POSTROUTING ACCEPT [0:0]',
        '-A POSTROUTING -o eth0 -p tcp -j MASQUERADE --to-ports 1024-65535 --random',
        '-A POSTROUTING -o eth0 -p udp -j MASQUERADE --to-ports 1024-65535 --random',
        '-A POSTROUTING -o eth0 -j MASQUERADE',
        'COMMIT',
        '',
      ].join('\n'),
    });
    txChecksumOff(this.router, ['r-srv', 'br-cli', ...legs.map(([l]) => l)]);
    for (const n of [this.server, linux, win, winxp, natc]) txChecksumOff(n, ['eth0']);
    txChecksumOff(nat, ['eth0', 'eth1']);
    for (const n of [this.router, this.server, linux, win]) waitIpv6Ready(n);
    // The first neighbour solicitation across a freshly created veth link goes unanswered (the next comes a second
    // later): let it happen now rather than in the first attempts, which would time out waiting for it.
    settleNeighbours([
      [this.router, SERVER.ipv6],
      [this.router, SERVER.ipv4],
      [linux, 'fd00:1::1'],
      [win, 'fd00:1::1'],
    ]);

    this.clients = [
      { name: 'linux', namespace: linux, ipv4: '10.0.1.11', ipv6: 'fd00:1::11', seenIpv4: '10.0.1.11', seenIpv6: 'fd00:1::11', portRange: [32768, 60999], seenRange: [32768, 60999], natNamespace: null },
      { name: 'windows', namespace: win, ipv4: '10.0.1.12', ipv6: 'fd00:1::12', seenIpv4: '10.0.1.12', seenIpv6: 'fd00:1::12', portRange: [49152, 65535], seenRange: [49152, 65535], natNamespace: null },
      { name: 'windows-legacy', namespace: winxp, ipv4: '10.0.1.13', ipv6: null, seenIpv4: '10.0.1.13', seenIpv6: null, portRange: [1025, 5000], seenRange: [1025, 5000], natNamespace: null },
      { name: 'nat', namespace: natc, ipv4: '10.0.3.11', ipv6: null, seenIpv4: '10.0.1.20', seenIpv6: null, portRange: [32768, 60999], seenRange: [1024, 65535], natNamespace: nat },
    ];
    this.log(`lab up: ${this.namespaces.join(' ')}`);
  }

  /** Build the topology (sweeping namespaces left by dead runs first). */
  static start(opts: { log?: (line: string) => void } = {}): KernelLab {
    const log = opts.log ?? ((l: string) => process.stderr.write(`[kernel-lab] ${l}\n`));
    const swept = sweepStaleNamespaces();
    if (swept.length > 0) log(`removed namespaces of dead runs: ${swept.join(' ')}`);
    try {
      return new KernelLab(log);
    } catch (e) {
      for (const n of ['rtr', 'srv', 'linux', 'win', 'winxp', 'nat', 'natc']) {
        try {
          deleteNamespace(`ack-${process.pid.toString(36)}-${n}`);
        } catch {
          // not created
        }
      }
      throw e;
    }
  }

  client(name: ClientName): LabClient {
    return this.clients.find((c) => c.name === name)!;
  }

  /** Make the server's kernel enforce `acl` (replacing the filter tables); returns the iptables command lines. */
  applyAcl(acl: Acl): string[] {
    const rs = translateAcl(acl, { iface: SERVER.iface, nflogGroup: NFLOG_GROUP, subnets: [...SERVER.subnets] });
    nsRun(this.server, 'iptables-restore', [], { input: restoreInput(rs.iptables) });
    nsRun(this.server, 'ip6tables-restore', [], { input: restoreInput(rs.ip6tables) });
    this.ruleset = rs;
    this.aclId = acl.id;
    const lines = commandLines(rs);
    this.log(`server ${this.server} enforces ACL ${acl.id}: ${rs.iptables.length} iptables + ${rs.ip6tables.length} ip6tables commands`);
    return lines;
  }

  /**
   * Let every client reuse a TCP 4-tuple in TIME_WAIT for a new outgoing connection (net.ipv4.tcp_tw_reuse = 1, per
   * namespace; a second after the old connection, with TCP timestamps), so a run can repeat an earlier run's ports.
   */
  allowTimeWaitReuse(): void {
    for (const c of this.clients) nsRun(c.namespace, 'sysctl', ['-q', '-w', 'net.ipv4.tcp_tw_reuse=1']);
  }

  /** The server's current filter rules with packet counters (iptables -S / -L -v style), for diagnostics. */
  serverRules(): string {
    return `${nsRun(this.server, 'iptables', ['-L', '-v', '-n', '-x'])}\n${nsRun(this.server, 'ip6tables', ['-L', '-v', '-n', '-x'])}`;
  }

  /** A port for a bind-mode attempt that this lab has not used for `client` before (no 4-tuple is ever reused). */
  private freshPort(client: ClientName, lo: number, hi: number, r: () => number, lowest?: boolean): number {
    const used = this.usedPorts.get(client) ?? new Set<number>();
    this.usedPorts.set(client, used);
    if (lowest !== undefined) {
      // The free port nearest to one end of [lo, hi].
      for (let k = 0; k <= hi - lo; k++) {
        const p = lowest ? lo + k : hi - k;
        if (!used.has(p)) {
          used.add(p);
          return p;
        }
      }
    }
    for (let k = 0; k < 64; k++) {
      const p = lo + Math.floor(r() * (hi - lo + 1));
      if (!used.has(p)) {
        used.add(p);
        return p;
      }
    }
    for (let p = lo; p <= hi; p++) {
      if (!used.has(p)) {
        used.add(p);
        return p;
      }
    }
    throw new Error(`no unused port left in ${lo}-${hi} for ${client}`);
  }

  /**
   * Bind-mode attempts: for every client and service, `perService` source ports spread over the client's whole
   * port range (one random port in each of `perService` equal slices), never a port used before in this lab.
   */
  bindAttempts(opts: { clients?: readonly ClientName[]; services: { proto: 'tcp' | 'udp'; dport: number; family?: 4 | 6 }[]; perService: number; seed?: number; edges?: boolean }): AttemptSpec[] {
    const r = seeded(opts.seed ?? 1);
    const out: AttemptSpec[] = [];
    for (const name of opts.clients ?? CLIENT_NAMES) {
      const c = this.client(name);
      for (const s of opts.services) {
        const family = s.family ?? 4;
        if (family === 6 && c.ipv6 === null) continue;
        const [lo, hi] = c.portRange;
        const n = opts.perService;
        // With edges, the lowest and highest free ports of the range too (off-by-one errors live there).
        if (opts.edges) {
          out.push({ client: name, proto: s.proto, family, dport: s.dport, sport: this.freshPort(name, lo, lo + 64, r, true) });
          out.push({ client: name, proto: s.proto, family, dport: s.dport, sport: this.freshPort(name, hi - 64, hi, r, false) });
        }
        for (let k = 0; k < n; k++) {
          const a = lo + Math.floor(((hi - lo + 1) * k) / n);
          const b = lo + Math.floor(((hi - lo + 1) * (k + 1)) / n) - 1;
          out.push({ client: name, proto: s.proto, family, dport: s.dport, sport: this.freshPort(name, a, Math.max(a, b), r) });
        }
      }
    }
    return out;
  }

  /** Kernel-mode attempts: `repeat` connects per client and destination, no bind (the kernel picks each port). */
  kernelAttempts(opts: { clients?: readonly ClientName[]; services: { proto: 'tcp' | 'udp'; dport: number; family?: 4 | 6 }[]; repeat: number; interleave?: boolean }): AttemptSpec[] {
    const out: AttemptSpec[] = [];
    for (const name of opts.clients ?? CLIENT_NAMES) {
      const c = this.client(name);
      const services = opts.services.filter((s) => (s.family ?? 4) === 4 || c.ipv6 !== null);
      if (opts.interleave) {
        for (let k = 0; k < opts.repeat; k++) for (const s of services) out.push({ client: name, proto: s.proto, family: s.family ?? 4, dport: s.dport });
      } else for (const s of services) for (let k = 0; k < opts.repeat; k++) out.push({ client: name, proto: s.proto, family: s.family ?? 4, dport: s.dport });
    }
    return out;
  }

  /** Run attempts against the server with the current ACL; writes the pcap, NFLOG pcap and attempts JSON. */
  async run(opts: RunOptions): Promise<RunResult> {
    const t0 = Date.now();
    this.runs++;
    mkdirSync(opts.outDir, { recursive: true });
    const pcap = join(opts.outDir, `${opts.name}.pcap`);
    const nflog = join(opts.outDir, `${opts.name}.nflog.pcap`);
    const json = join(opts.outDir, `${opts.name}.attempts.json`);
    const tcpPorts = [...new Set([...DEFAULT_TCP_PORTS, ...(opts.tcpPorts ?? []), ...opts.attempts.filter((a) => a.proto === 'tcp').map((a) => a.dport)])];
    const udpPorts = [...new Set([...DEFAULT_UDP_PORTS, ...(opts.udpPorts ?? []), ...opts.attempts.filter((a) => a.proto === 'udp').map((a) => a.dport)])];
    const tcpTimeoutMs = opts.tcpTimeoutMs ?? 1500;
    const udpTimeoutMs = opts.udpTimeoutMs ?? 1000;
    const problems: string[] = [];

    // A fresh server per run: closing the listeners drops the half-open connections of the last run, whose
    // retransmitted SYN-ACKs would otherwise leak into this capture under a different ACL.
    const server = await startServerAgent(this.server, [SERVER.ipv4, SERVER.ipv6], tcpPorts, udpPorts);
    const cap = await startCapture(this.router, 'r-srv', pcap);
    const logCap = await startCapture(this.server, `nflog:${NFLOG_GROUP}`, nflog);
    let results: ClientReport[][] = [];
    let nat: (readonly [ClientName, Map<string, number>])[] = [];
    const byClient = new Map<ClientName, { spec: AttemptSpec; id: string }[]>();
    opts.attempts.forEach((spec, i) => {
      const list = byClient.get(spec.client) ?? [];
      list.push({ spec, id: `${this.runs}-${spec.client}-${i}` });
      byClient.set(spec.client, list);
    });
    try {
      await sleep(200);
      results = await Promise.all(
        [...byClient].map(([name, list]) => {
          const c = this.client(name);
          const planFile = join(opts.outDir, `${opts.name}.${name}.plan.json`);
          const plan: ClientPlan = {
            attempts: list.map(({ spec, id }) => ({
              id,
              proto: spec.proto,
              dst: spec.family === 6 ? SERVER.ipv6 : SERVER.ipv4,
              dport: spec.dport,
              ...(spec.sport !== undefined ? { src: spec.family === 6 ? c.ipv6 : c.ipv4, sport: spec.sport } : {}),
            })),
            tcpTimeoutMs,
            udpTimeoutMs,
            concurrency: opts.concurrency ?? 128,
            spacingMs: opts.spacingMs ?? 0,
          };
          return runClientAgent(c.namespace, plan, planFile);
        }),
      );
      await sleep(300);
    } finally {
      nat = this.clients.filter((c) => c.natNamespace).map((c) => [c.name, natMappings(c.natNamespace!)] as const);
      await server.stop();
      for (const c of [cap, logCap]) {
        const dropped = (await stopCapture(c)).droppedByKernel;
        if (dropped > 0) problems.push(`tcpdump ${c.file}: ${dropped} packets dropped by kernel`);
      }
    }
    const natByClient = new Map(nat);
    const packets = readLabPcap(pcap);
    const logged = readLabPcap(nflog);
    const attempts: Attempt[] = [];
    const index = new Map<string, Attempt[]>();
    [...byClient].forEach(([name, list], k) => {
      const c = this.client(name);
      const rows = new Map(results[k]!.map((r) => [String(r.id), r]));
      list.forEach(({ spec, id }) => {
        const r = rows.get(id);
        if (!r) {
          problems.push(`${id}: the client reported nothing`);
          return;
        }
        const localPort = typeof r.localPort === 'number' ? r.localPort : null;
        const server = spec.family === 6 ? SERVER.ipv6 : SERVER.ipv4;
        const own = spec.family === 6 ? c.ipv6! : c.ipv4;
        let sourcePort = localPort;
        if (c.natNamespace !== null && localPort !== null) {
          sourcePort = natByClient.get(name)?.get(`${spec.proto} ${own} ${localPort} ${server} ${spec.dport}`) ?? null;
          if (sourcePort === null) problems.push(`${id}: no NAT mapping for ${spec.proto} ${own}:${localPort}`);
        }
        if (typeof r.seenPort === 'number' && sourcePort !== r.seenPort) problems.push(`${id}: the server saw port ${r.seenPort}, the lab thought ${sourcePort}`);
        const outcome = String(r.outcome);
        const a: Attempt = {
          ...spec,
          id,
          namespace: c.namespace,
          mode: spec.sport !== undefined ? 'bind' : 'kernel',
          seq: Number(r.seq),
          localPort,
          sourceAddress: spec.family === 6 ? c.seenIpv6! : c.seenIpv4,
          sourcePort,
          server,
          outcome,
          ok: outcome === 'connected' || outcome === 'answered',
          startMs: Number(r.startMs),
          elapsedMs: Number(r.elapsedMs),
          capturedForward: 0,
          capturedReturn: 0,
          firstTs: null,
          syns: 0,
          drops: [],
        };
        attempts.push(a);
        // A port the kernel picked may still be held (TIME_WAIT, a closing socket): later bind-mode attempts avoid it.
        if (localPort !== null) {
          const used = this.usedPorts.get(name) ?? new Set<number>();
          this.usedPorts.set(name, used);
          used.add(localPort);
        }
        if (sourcePort !== null) {
          const k = `${spec.proto === 'tcp' ? 6 : 17} ${a.sourceAddress} ${sourcePort} ${server} ${spec.dport}`;
          index.set(k, [...(index.get(k) ?? []), a]);
        }
      });
    });
    const keyOf = (p: LabPacket, forward: boolean) => (forward ? `${p.proto} ${p.src} ${p.sport} ${p.dst} ${p.dport}` : `${p.proto} ${p.dst} ${p.dport} ${p.src} ${p.sport}`);
    const lookup = (p: LabPacket): { list: Attempt[]; key: string; forward: boolean } | null => {
      for (const forward of [true, false]) {
        const key = keyOf(p, forward);
        const list = index.get(key);
        if (list) return { list, key, forward };
      }
      return null;
    };
    // A 5-tuple the kernel reused (kernel-chosen UDP ports repeat once the earlier socket is closed) is walked in
    // launch order: each new request (a UDP datagram, a TCP SYN with a new ISN) from that tuple starts the next attempt.
    for (const list of index.values()) list.sort((x, y) => x.seq - y.seq);
    const cursor = new Map<string, { i: number; isn: number | null }>();
    for (const p of packets) {
      const m = lookup(p);
      if (!m) continue;
      const st = cursor.get(m.key) ?? { i: -1, isn: null };
      cursor.set(m.key, st);
      const starts = m.forward && (p.proto === 17 || ((p.tcpFlags & 0x12) === 0x02 && p.seq !== st.isn));
      if (starts) {
        st.i = Math.min(st.i + 1, m.list.length - 1);
        if (p.proto === 6) st.isn = p.seq;
      }
      const a = m.list[Math.max(0, st.i)]!;
      if (m.forward) {
        a.capturedForward++;
        if (a.firstTs === null) a.firstTs = p.ts;
        if (p.proto === 6 && (p.tcpFlags & 0x12) === 0x02) a.syns++;
      } else a.capturedReturn++;
    }
    // NFLOG records (taken in the server, after the router-side capture) go to the latest attempt of their 5-tuple
    // that the capture had seen by then.
    const drops: Record<string, number> = {};
    for (const p of logged) {
      const prefix = p.prefix ?? '';
      drops[prefix] = (drops[prefix] ?? 0) + 1;
      const m = lookup(p);
      if (!m) continue;
      let a = m.list[0]!;
      for (const x of m.list) if (x.firstTs !== null && x.firstTs <= p.ts) a = x;
      if (!a.drops.includes(prefix)) a.drops.push(prefix);
    }
    for (const a of attempts) {
      if (a.sourcePort === null || a.capturedForward > 0) continue;
      const shared = index.get(`${a.proto === 'tcp' ? 6 : 17} ${a.sourceAddress} ${a.sourcePort} ${a.server} ${a.dport}`)!.length;
      problems.push(`${a.id}: no packet of it in the capture (${a.proto} port ${a.localPort} seen as ${a.sourcePort} -> ${a.dport}, ${a.outcome}${shared > 1 ? `, 5-tuple shared by ${shared} attempts` : ''})`);
    }
    const result: RunResult = { name: opts.name, acl: this.aclId, pcap, nflog, json, attempts, drops, durationMs: Date.now() - t0, problems };
    writeFileSync(
      json,
      `${JSON.stringify(
        {
          run: { name: opts.name, acl: this.aclId, durationMs: result.durationMs, pcap, nflog, tcpTimeoutMs, udpTimeoutMs, serverRules: this.ruleset ? commandLines(this.ruleset) : [], drops, problems },
          clients: this.clients,
          attempts,
        },
        null,
        1,
      )}\n`,
    );
    this.log(summary(result));
    return result;
  }

  /** Delete every namespace of the lab (killing what still runs in them). */
  stop(): void {
    for (const n of this.namespaces.splice(0)) deleteNamespace(n);
    this.log('lab down');
  }
}

/** What a run did, in a few lines: per client and protocol the attempts, failures and their port span; drops. */
export function summary(r: RunResult): string {
  const lines = [`run ${r.name} (ACL ${r.acl ?? 'none'}): ${r.attempts.length} attempts in ${(r.durationMs / 1000).toFixed(1)} s; ${r.pcap}, ${r.nflog}, ${r.json}`];
  const groups = new Map<string, Attempt[]>();
  const perPort = new Set(r.attempts.map((a) => a.dport)).size <= 6;
  for (const a of r.attempts) {
    const k = `${a.client} ${a.proto}/IPv${a.family} ${a.mode}${perPort ? ` ${a.dport}` : ''}`;
    groups.set(k, [...(groups.get(k) ?? []), a]);
  }
  for (const [g, list] of groups) {
    const k = perPort ? g.replace(/ (\d+)$/, ' to $1') : `${g} to ${new Set(list.map((a) => a.dport)).size} ports`;
    const failed = list.filter((a) => !a.ok);
    const ports = list.map((a) => a.sourcePort ?? -1).filter((p) => p >= 0);
    const fports = failed.map((a) => a.sourcePort ?? -1).filter((p) => p >= 0);
    lines.push(
      `  ${k}: ${list.length} attempts, ${failed.length} failed; ports ${Math.min(...ports)}-${Math.max(...ports)}${fports.length ? `, failed ${Math.min(...fports)}-${Math.max(...fports)}` : ''}`,
    );
  }
  const d = Object.entries(r.drops).map(([p, n]) => `${p} ${n}`);
  lines.push(`  drops (NFLOG): ${d.length ? d.join(', ') : 'none'}`);
  if (r.problems.length) lines.push(`  problems: ${r.problems.slice(0, 5).join('; ')}${r.problems.length > 5 ? ` (+${r.problems.length - 5})` : ''}`);
  return lines.join('\n');
}
