/**
 * Probe packets: the only place after the capture pass that writes packets into a PacketBatch. Synthetic packets
 * for connection directions the traffic never showed, port maps (which destination ports a scenario lets through
 * between two hosts: how "share of a port-range profile allowed" is measured against real rules), fix verification,
 * lint's ephemeral coverage and the HTML strips all build and judge their packets here, with the same evaluator
 * and classifier the replay uses.
 */
import { PacketBatch, Layer } from '../decode/batch.js';
import { classify } from '../acl/classify.js';
import type { CompiledDirection } from '../acl/compile.js';
import { cidrContains, type Acl } from '../acl/model.js';
import { ConnBit, type ConnectionTable, type AddressTable, type Host } from '../flow/connections.js';
import { Evaluator } from './evaluator.js';
import type { ReplaySpec } from './spec.js';
import type { ReplayPlan } from './plan.js';

export type { Host };

const PROBES = 4096;
let probeBatch: PacketBatch | null = null;
function batchOf(): PacketBatch {
  return (probeBatch ??= new PacketBatch(PROBES));
}

/** TCP flags of the probe kinds: a request opens with a SYN, a reply with a SYN-ACK, established return traffic is an ACK. */
export const ProbeFlags = { SYN: 0x02, SYN_ACK: 0x12, ACK: 0x10 } as const;

/**
 * Row i of `batch` as a transport packet from the address at src[srcOff..] to dst[dstOff..] (4 words each, IPv4 in
 * the first) of `family`: ports for TCP/UDP, TCP `tcpFlags`, ICMP type and code.
 */
function writePacket(batch: PacketBatch, i: number, family: 4 | 6, src: ArrayLike<number>, srcOff: number, dst: ArrayLike<number>, dstOff: number, proto: number, sport: number, dport: number, tcpFlags: number, icmpType = 0): void {
  const b = 4 * i;
  for (let w = 0; w < 4; w++) {
    batch.src[b + w] = src[srcOff + w]!;
    batch.dst[b + w] = dst[dstOff + w]!;
  }
  batch.family[i] = family;
  batch.proto[i] = proto;
  batch.layer[i] = Layer.TRANSPORT;
  batch.frag[i] = 0;
  batch.sport[i] = sport;
  batch.dport[i] = dport;
  batch.tcpFlags[i] = proto === 6 ? tcpFlags : 0;
  batch.icmpType[i] = icmpType;
  batch.icmpCode[i] = 0;
}

/** Row i of `batch` as a probe src:sport -> dst:dport (TCP with `tcpFlags`, SYN-ACK by default). */
export function writeProbe(batch: PacketBatch, i: number, src: Host, dst: Host, proto: number, sport: number, dport: number, tcpFlags: number = ProbeFlags.SYN_ACK): void {
  writePacket(batch, i, src.family, src.words, 0, dst.words, 0, proto, sport, dport, tcpFlags);
}

/**
 * Row i as the packet connection `row` would have sent in one direction: from the client (a SYN, a request, an echo
 * request) or from the server (a SYN-ACK, a reply, an echo reply). False for what no synthetic packet stands for
 * (ICMP errors and messages, protocols other than TCP, UDP and ICMP).
 */
function writeConnectionPacket(batch: PacketBatch, i: number, ct: ConnectionTable, row: number, fromClient: boolean): boolean {
  const proto = ct.proto[row]!;
  if (ct.bits[row]! & ConnBit.ICMP_MESSAGE) return false;
  if (proto !== 6 && proto !== 17 && proto !== 1 && proto !== 58) return false;
  writeLoggedPacket(batch, i, ct, row, fromClient, fromClient ? ProbeFlags.SYN : ProbeFlags.SYN_ACK);
  return true;
}

/**
 * Row i as a packet of connection `row` from the client or from the server, with `tcpFlags` (TCP only); ICMP as an
 * echo request from the client and an echo reply from the server. Synthetic packets take it (above), and so does one
 * logged side of a connection (flow logs, src/flowlogs/judge.ts: the side's OR-ed tcp-flags; every protocol is written
 * as it was logged, and flow logs carry no ICMP type).
 */
export function writeLoggedPacket(batch: PacketBatch, i: number, ct: ConnectionTable, row: number, fromClient: boolean, tcpFlags: number): void {
  const proto = ct.proto[row]!;
  const w = ct.addresses.words;
  const c = 4 * ct.client[row]!;
  const s = 4 * ct.server[row]!;
  const family = ct.family[row] as 4 | 6;
  const cp = ct.clientPort[row]!;
  const sp = ct.serverPort[row]!;
  const icmpType = proto === 1 ? (fromClient ? 8 : 0) : proto === 58 ? (fromClient ? 128 : 129) : 0;
  if (fromClient) writePacket(batch, i, family, w, c, w, s, proto, cp, sp, tcpFlags, icmpType);
  else writePacket(batch, i, family, w, s, w, c, proto, sp, cp, tcpFlags, icmpType);
}

/**
 * Judge, in every scenario, a synthetic packet for each connection direction the traffic never showed (no client
 * packets: the request; no server packets: the reply), calling `verdict(row, fromClient, scenario, code)` for each.
 */
export function judgeMissingDirections(spec: ReplaySpec, ct: ConnectionTable, verdict: (row: number, fromClient: boolean, s: number, code: number) => void): void {
  const batch = batchOf();
  const ev = new Evaluator(spec, batch.capacity);
  const S = spec.scenarios.length;
  const rows = new Int32Array(batch.capacity);
  let n = 0;
  const flush = () => {
    if (n === 0) return;
    batch.length = n;
    ev.evaluate(batch);
    for (let k = 0; k < n; k++) {
      const key = rows[k]!;
      for (let s = 0; s < S; s++) verdict(key >> 1, (key & 1) === 1, s, ev.verdicts[s * batch.capacity + k]!);
    }
    n = 0;
  };
  for (let row = 0; row < ct.count; row++) {
    for (let side = 0; side < 2; side++) {
      const fromClient = side === 0;
      if ((fromClient ? ct.clientPackets[row] : ct.serverPackets[row]) !== 0) continue;
      if (!writeConnectionPacket(batch, n, ct, row, fromClient)) continue;
      rows[n++] = 2 * row + (fromClient ? 1 : 0);
      if (n === batch.capacity) flush();
    }
  }
  flush();
}

/**
 * The verdict code, under scenario s alone, of one packet per listed connection direction: rows[k] sent by its
 * client (fromClient[k] = 1: a SYN or request) or by its server (a SYN-ACK or reply). 0 for rows no synthetic packet
 * stands for.
 */
export function judgeConnectionPackets(spec: ReplaySpec, s: number, ct: ConnectionTable, rows: ArrayLike<number>, fromClient: ArrayLike<number>): Int32Array {
  const batch = batchOf();
  const ev = new Evaluator({ ...spec, scenarios: [spec.scenarios[s]!] }, PROBES);
  const out = new Int32Array(rows.length);
  const index = new Int32Array(PROBES);
  for (let at = 0; at < rows.length; at += PROBES) {
    const end = Math.min(rows.length, at + PROBES);
    let n = 0;
    for (let k = at; k < end; k++) if (writeConnectionPacket(batch, n, ct, rows[k]!, fromClient[k] === 1)) index[n++] = k;
    batch.length = n;
    ev.evaluate(batch);
    for (let i = 0; i < n; i++) out[index[i]!] = ev.verdicts[i]!;
  }
  return out;
}

/**
 * allowed[port] = 1 when scenario s allows a packet src:sport -> dst:port of `proto` (0 when denied or not
 * applicable). With `starts` (sorted, beginning with 0: every port where some rule's destination range begins or
 * ends), one probe per interval stands for the whole interval, since no rule can tell two ports of one interval
 * apart; without, every port is probed.
 */
export function allowedPorts(spec: ReplaySpec, s: number, src: Host, dst: Host, proto: number, sport: number, tcpFlags: number = ProbeFlags.SYN_ACK, starts?: Int32Array): Uint8Array {
  const batch = batchOf();
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

/**
 * Verdict codes of scenario s for destination ports in intervals: codes[k] decides every port from starts[k] up to
 * starts[k + 1] - 1 (the last interval to 65535). `starts` are rule port boundaries (portBreaks), so no rule tells
 * two ports of one interval apart and one probe per interval is exact.
 */
export interface PortVerdicts {
  starts: Int32Array;
  codes: Int32Array;
}

/** The verdict code per interval of `starts` for probes src:sport -> dst:<port> of `proto` under scenario s alone. */
export function portVerdicts(spec: ReplaySpec, s: number, src: Host, dst: Host, proto: number, sport: number, tcpFlags: number, starts: Int32Array): PortVerdicts {
  const batch = batchOf();
  const ev = new Evaluator({ ...spec, scenarios: [spec.scenarios[s]!] }, PROBES);
  const codes = new Int32Array(starts.length);
  for (let at = 0; at < starts.length; at += PROBES) {
    const n = Math.min(PROBES, starts.length - at);
    for (let i = 0; i < n; i++) writeProbe(batch, i, src, dst, proto, sport, starts[at + i]!, tcpFlags);
    batch.length = n;
    ev.evaluate(batch);
    codes.set(ev.verdicts.subarray(0, n), at);
  }
  return { starts, codes };
}

/** Index of the interval of `pv` holding `port` (binary search over the starts). */
export function intervalOf(pv: PortVerdicts, port: number): number {
  const st = pv.starts;
  let lo = 0;
  let hi = st.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (st[mid]! <= port) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * Destination ports one compiled direction allows for probes src:sport -> dst:<every port>, as lint measures return
 * traffic coverage: allowed[port] = 1 when the first matching rule allows (`allow[rule]` = 1).
 */
export function directionAllows(compiled: CompiledDirection, allow: Uint8Array, src: Host, dst: Host, proto: number, sport: number, tcpFlags: number): Uint8Array {
  const batch = batchOf();
  const res = new Int32Array(PROBES);
  const allowed = new Uint8Array(65536);
  for (let at = 0; at < 65536; at += PROBES) {
    for (let i = 0; i < PROBES; i++) writeProbe(batch, i, src, dst, proto, sport, at + i, tcpFlags);
    batch.length = PROBES;
    classify(compiled, batch, null, PROBES, res);
    for (let i = 0; i < PROBES; i++) allowed[at + i] = res[i]! >= 0 && allow[res[i]!] === 1 ? 1 : 0;
  }
  return allowed;
}

/**
 * The rule of one compiled direction each listed connection direction meets: rows[k] sent by its client
 * (fromClient[k] = 1: a SYN, a request, an echo request) or by its server (a SYN-ACK, a reply); an ICMP message row
 * is its message, from the side given; other protocols a packet of the protocol alone. -1 when no rule matches.
 */
export function connectionRules(compiled: CompiledDirection, ct: ConnectionTable, rows: ArrayLike<number>, fromClient: ArrayLike<number>): Int32Array {
  const batch = batchOf();
  const res = new Int32Array(PROBES);
  const index = new Int32Array(PROBES);
  const out = new Int32Array(rows.length).fill(-1);
  const w = ct.addresses.words;
  for (let at = 0; at < rows.length; at += PROBES) {
    const end = Math.min(rows.length, at + PROBES);
    let n = 0;
    for (let k = at; k < end; k++) {
      const row = rows[k]!;
      const forward = fromClient[k] === 1;
      if (ct.bits[row]! & ConnBit.ICMP_MESSAGE) {
        // An ICMP error or other message, sent by whichever side the row says sent it.
        const c = 4 * ct.client[row]!;
        const s = 4 * ct.server[row]!;
        writePacket(batch, n, ct.family[row] as 4 | 6, w, forward ? c : s, w, forward ? s : c, ct.proto[row]!, 0, 0, 0, ct.icmpType[row]!);
        batch.icmpCode[n] = ct.icmpCode[row]!;
      } else if (!writeConnectionPacket(batch, n, ct, row, forward)) {
        // Other protocols (GRE, ESP, ...): a packet with the protocol alone.
        const c = 4 * ct.client[row]!;
        const s = 4 * ct.server[row]!;
        writePacket(batch, n, ct.family[row] as 4 | 6, w, forward ? c : s, w, forward ? s : c, ct.proto[row]!, 0, 0, 0);
      }
      index[n++] = k;
    }
    batch.length = n;
    classify(compiled, batch, null, n, res);
    for (let i = 0; i < n; i++) out[index[i]!] = res[i]!;
  }
  return out;
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

/**
 * allowedPorts() with a memory, between addresses of a connection table: two address pairs get the same map when
 * every rule and subnet of the scenario treats them alike (same CIDR memberships), which is the common case (rules
 * for 0.0.0.0/0), so diagnosing thousands of connections costs a handful of probe runs.
 */
export class PortMaps {
  private readonly cache = new Map<number, Map<number, Uint8Array>>();
  private readonly verdictCache = new Map<number, Map<number, PortVerdicts>>();
  /** Distinct (source signature, destination signature) pairs, numbered (pairId). */
  private readonly pairs = new Map<number, number>();
  /** Per scenario: where its rules' destination port ranges begin and end. */
  private readonly breaks: Int32Array[] = [];
  /** Per scenario and end (2s + end): signature id of each address id (-1 = not yet computed). */
  private readonly memo: Int32Array[] = [];
  /** Distinct signatures, numbered. */
  private readonly ids = new Map<string, number>();

  constructor(
    private readonly plan: ReplayPlan,
    private readonly spec: ReplaySpec,
    private readonly addresses: AddressTable,
  ) {}

  /** Destination ports scenario s allows from address `src` (sport) to address `dst`. */
  get(s: number, src: number, dst: number, proto: number, sport: number): Uint8Array {
    // Numeric keys (no string per call): diagnoses ask once per affected connection.
    const outer = (s * 256 + proto) * 65536 + sport;
    let inner = this.cache.get(outer);
    if (!inner) this.cache.set(outer, (inner = new Map()));
    const key = this.signature(s, src, 0) * 0x200000 + this.signature(s, dst, 1);
    let m = inner.get(key);
    if (!m) {
      const acls = this.plan.scenarios[s]!.placements.map((p) => this.plan.acls[p.acl]!);
      m = allowedPorts(this.spec, s, this.addresses.host(src), this.addresses.host(dst), proto, sport, ProbeFlags.SYN_ACK, (this.breaks[s] ??= portBreaks(acls)));
      inner.set(key, m);
    }
    return m;
  }

  /** The verdict code per rule port interval for packets from address `src` (sport) to address `dst` under scenario s. */
  verdicts(s: number, src: number, dst: number, proto: number, sport: number): PortVerdicts {
    const outer = (s * 256 + proto) * 65536 + sport;
    let inner = this.verdictCache.get(outer);
    if (!inner) this.verdictCache.set(outer, (inner = new Map()));
    const key = this.signature(s, src, 0) * 0x200000 + this.signature(s, dst, 1);
    let v = inner.get(key);
    if (!v) {
      const acls = this.plan.scenarios[s]!.placements.map((p) => this.plan.acls[p.acl]!);
      v = portVerdicts(this.spec, s, this.addresses.host(src), this.addresses.host(dst), proto, sport, ProbeFlags.SYN_ACK, (this.breaks[s] ??= portBreaks(acls)));
      inner.set(key, v);
    }
    return v;
  }

  /**
   * A small number for how scenario s sees packets from `src` to `dst` (their CIDR memberships): two address pairs
   * with the same id get the same port maps and verdicts for the same protocol and source port.
   */
  pairId(s: number, src: number, dst: number): number {
    const key = this.signature(s, src, 0) * 0x200000 + this.signature(s, dst, 1);
    let id = this.pairs.get(key);
    if (id === undefined) this.pairs.set(key, (id = this.pairs.size));
    return id;
  }

  /**
   * Which subnets and rule CIDRs of scenario s contain the address, as the source (0) or the destination (1), as a
   * small number: two pairs with the same numbers for both ends are judged alike. Memoized per address.
   */
  private signature(s: number, a: number, end: 0 | 1): number {
    const slot = 2 * s + end;
    let memo = this.memo[slot];
    if (!memo || memo.length < this.addresses.count) {
      const grownMemo = new Int32Array(this.addresses.count).fill(-1);
      if (memo) grownMemo.set(memo);
      this.memo[slot] = memo = grownMemo;
    }
    const known = memo[a]!;
    if (known >= 0) return known;
    const family = this.addresses.family[a];
    const words = this.addresses.words;
    const off = 4 * a;
    let sig = `${family}:`;
    for (const p of this.plan.scenarios[s]!.placements) {
      for (const c of p.subnets) sig += c.family === family && cidrContains(c, words, off) ? '1' : '0';
      const acl = this.plan.acls[p.acl]!;
      for (const r of acl.inbound) sig += r.family === family && cidrContains(end ? r.dst : r.src, words, off) ? '1' : '0';
      for (const r of acl.outbound) sig += r.family === family && cidrContains(end ? r.dst : r.src, words, off) ? '1' : '0';
    }
    let id = this.ids.get(sig);
    if (id === undefined) this.ids.set(sig, (id = this.ids.size));
    memo[a] = id;
    return id;
  }
}
