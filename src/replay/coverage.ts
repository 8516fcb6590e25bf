/**
 * Which destination ports a scenario lets through between two hosts: 65536 probe packets judged by the same
 * evaluator the replay uses. This is how "share of a port-range profile allowed" is measured against real rules.
 */
import { PacketBatch, Layer } from '../decode/batch.js';
import { Evaluator } from './verdicts.js';
import type { ReplaySpec, ReplayPlan } from './scenario.js';
import { cidrContains } from '../acl/model.js';

import type { Host } from '../flow/connections.js';
export type { Host };

const PROBES = 4096;
let probeBatch: PacketBatch | null = null;

/** allowed[port] = 1 when scenario s allows a packet src:sport -> dst:port of `proto` (0 when denied or not applicable). */
export function allowedPorts(spec: ReplaySpec, s: number, src: Host, dst: Host, proto: number, sport: number, tcpFlags = 0x12): Uint8Array {
  const batch = (probeBatch ??= new PacketBatch(PROBES));
  const ev = new Evaluator({ ...spec, scenarios: [spec.scenarios[s]!] }, PROBES);
  const allowed = new Uint8Array(65536);
  for (let start = 0; start < 65536; start += PROBES) {
    for (let i = 0; i < PROBES; i++) writeProbe(batch, i, src, dst, proto, sport, start + i, tcpFlags);
    batch.length = PROBES;
    ev.evaluate(batch);
    for (let i = 0; i < PROBES; i++) allowed[start + i] = ev.verdicts[i]! > 0 ? 1 : 0;
  }
  return allowed;
}

/** Row i of `batch` as a synthetic transport packet src:sport -> dst:dport (TCP with `tcpFlags`, SYN-ACK by default). */
export function writeProbe(batch: PacketBatch, i: number, src: Host, dst: Host, proto: number, sport: number, dport: number, tcpFlags = 0x12): void {
  const b = 4 * i;
  for (let w = 0; w < 4; w++) {
    batch.src[b + w] = src.words[w]!;
    batch.dst[b + w] = dst.words[w]!;
  }
  batch.family[i] = src.family;
  batch.proto[i] = proto;
  batch.layer[i] = Layer.TRANSPORT;
  batch.frag[i] = 0;
  batch.sport[i] = sport;
  batch.dport[i] = dport;
  batch.tcpFlags[i] = proto === 6 ? tcpFlags : 0;
}

/**
 * allowedPorts() with a memory: two host pairs get the same map when every rule and subnet of the scenario treats
 * them alike (same CIDR memberships), which is the common case (rules for 0.0.0.0/0), so diagnosing thousands of
 * connections costs a handful of 65536-probe runs.
 */
export class PortMaps {
  private readonly cache = new Map<string, Uint8Array>();
  constructor(
    private readonly plan: ReplayPlan,
    private readonly spec: ReplaySpec,
  ) {}

  get(s: number, src: Host, dst: Host, proto: number, sport: number): Uint8Array {
    const key = `${s}|${proto}|${sport}|${this.bits(s, src, 0)}|${this.bits(s, dst, 1)}`;
    let m = this.cache.get(key);
    if (!m) {
      m = allowedPorts(this.spec, s, src, dst, proto, sport);
      this.cache.set(key, m);
    }
    return m;
  }

  private readonly hostBits = [new Map<string, string>(), new Map<string, string>()];

  /**
   * Which subnets and rule CIDRs of scenario s contain the host, as the source (0) or the destination (1): two
   * pairs with the same bits for both ends are judged alike. Memoized per host.
   */
  private bits(s: number, h: Host, end: 0 | 1): string {
    const id = `${s}|${h.family}|${h.words.join(',')}`;
    const memo = this.hostBits[end]!;
    let sig = memo.get(id);
    if (sig !== undefined) return sig;
    sig = `${h.family}:`;
    for (const p of this.plan.scenarios[s]!.placements) {
      for (const c of p.subnets) sig += c.family === h.family && cidrContains(c, h.words, 0) ? '1' : '0';
      const acl = this.plan.acls[p.acl]!;
      for (const r of acl.inbound) sig += r.family === h.family && cidrContains(end ? r.dst : r.src, h.words, 0) ? '1' : '0';
      for (const r of acl.outbound) sig += r.family === h.family && cidrContains(end ? r.dst : r.src, h.words, 0) ? '1' : '0';
    }
    memo.set(id, sig);
    return sig;
  }
}
