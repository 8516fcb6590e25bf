/**
 * Which destination ports a scenario lets through between two hosts: 65536 probe packets judged by the same
 * evaluator the replay uses. This is how "share of a port-range profile allowed" is measured against real rules.
 */
import { PacketBatch, Layer } from '../decode/batch.js';
import { Evaluator } from './verdicts.js';
import type { ReplaySpec, ReplayPlan } from './scenario.js';
import { cidrContains, type Acl } from '../acl/model.js';

import type { Host } from '../flow/connections.js';
export type { Host };

const PROBES = 4096;
let probeBatch: PacketBatch | null = null;

/**
 * allowed[port] = 1 when scenario s allows a packet src:sport -> dst:port of `proto` (0 when denied or not
 * applicable). With `starts` (sorted, beginning with 0: every port where some rule's destination range begins or
 * ends), one probe per interval stands for the whole interval, since no rule can tell two ports of one interval
 * apart; without, every port is probed.
 */
export function allowedPorts(spec: ReplaySpec, s: number, src: Host, dst: Host, proto: number, sport: number, tcpFlags = 0x12, starts?: Int32Array): Uint8Array {
  const batch = (probeBatch ??= new PacketBatch(PROBES));
  const ev = new Evaluator({ ...spec, scenarios: [spec.scenarios[s]!] }, PROBES);
  const allowed = new Uint8Array(65536);
  const total = starts ? starts.length : 65536;
  for (let at = 0; at < total; at += PROBES) {
    const n = Math.min(PROBES, total - at);
    for (let i = 0; i < n; i++) writeProbe(batch, i, src, dst, proto, sport, starts ? starts[at + i]! : at + i, tcpFlags);
    batch.length = n;
    ev.evaluate(batch);
    for (let i = 0; i < n; i++) {
      const v = ev.verdicts[i]! > 0 ? 1 : 0;
      if (!starts) allowed[at + i] = v;
      else if (v) allowed.fill(1, starts[at + i]!, at + i + 1 < total ? starts[at + i + 1]! : 65536);
    }
  }
  return allowed;
}

/** Sorted distinct ports where a destination port range of some rule of the ACLs begins or ends (+1), with 0. */
export function portBreaks(acls: readonly Acl[]): Int32Array {
  const set = new Set<number>([0]);
  for (const a of acls) {
    for (const r of a.inbound) {
      set.add(r.dstPorts[0]);
      if (r.dstPorts[1] < 65535) set.add(r.dstPorts[1] + 1);
    }
    for (const r of a.outbound) {
      set.add(r.dstPorts[0]);
      if (r.dstPorts[1] < 65535) set.add(r.dstPorts[1] + 1);
    }
  }
  return Int32Array.from([...set].sort((x, y) => x - y));
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
  private readonly cache = new Map<number, Map<number, Uint8Array>>();
  /** Per scenario: where its rules' destination port ranges begin and end. */
  private readonly breaks: Int32Array[] = [];
  constructor(
    private readonly plan: ReplayPlan,
    private readonly spec: ReplaySpec,
  ) {}

  get(s: number, src: Host, dst: Host, proto: number, sport: number): Uint8Array {
    // Numeric keys (no string per call): diagnoses ask once per affected connection.
    const outer = (s * 256 + proto) * 65536 + sport;
    let inner = this.cache.get(outer);
    if (!inner) this.cache.set(outer, (inner = new Map()));
    const key = this.signature(s, src, 0) * 0x200000 + this.signature(s, dst, 1);
    let m = inner.get(key);
    if (!m) {
      const acls = this.plan.scenarios[s]!.placements.map((p) => this.plan.acls[p.acl]!);
      m = allowedPorts(this.spec, s, src, dst, proto, sport, 0x12, (this.breaks[s] ??= portBreaks(acls)));
      inner.set(key, m);
    }
    return m;
  }

  /** Per scenario and end: signature id of each Host object seen (connections share one Host per address). */
  private readonly byHost = new Map<number, Map<Host, number>>();
  /** Distinct signatures, numbered. */
  private readonly ids = new Map<string, number>();

  /**
   * Which subnets and rule CIDRs of scenario s contain the host, as the source (0) or the destination (1), as a
   * small number: two pairs with the same numbers for both ends are judged alike. Memoized per Host object.
   */
  private signature(s: number, h: Host, end: 0 | 1): number {
    const slot = 2 * s + end;
    let memo = this.byHost.get(slot);
    if (!memo) this.byHost.set(slot, (memo = new Map()));
    const known = memo.get(h);
    if (known !== undefined) return known;
    let sig = `${h.family}:`;
    for (const p of this.plan.scenarios[s]!.placements) {
      for (const c of p.subnets) sig += c.family === h.family && cidrContains(c, h.words, 0) ? '1' : '0';
      const acl = this.plan.acls[p.acl]!;
      for (const r of acl.inbound) sig += r.family === h.family && cidrContains(end ? r.dst : r.src, h.words, 0) ? '1' : '0';
      for (const r of acl.outbound) sig += r.family === h.family && cidrContains(end ? r.dst : r.src, h.words, 0) ? '1' : '0';
    }
    let id = this.ids.get(sig);
    if (id === undefined) this.ids.set(sig, (id = this.ids.size));
    memo.set(h, id);
    return id;
  }
}
