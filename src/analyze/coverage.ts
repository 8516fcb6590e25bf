/**
 * Return-path coverage of every client's ephemeral range under one scenario, per client host and protocol (TCP,
 * UDP): for each distinct way the rules see the client's server/client pairs (PortMaps signatures and server port),
 * the verdict of a reply to every port of the client's inferred range, per gate (ACL and direction) that denies
 * part of it, split into ports only the default deny (*) refuses ("missing": a fix may open them) and ports an
 * explicit deny refuses ("in force": a fix never overrides them). From the same rows: how the client picks its
 * ports (uniform over the range, or Linux connect()'s first pass over the ports with the range's low end parity) and
 * whether consecutive connections to one destination use nearby ports (failures then come in runs).
 *
 * Rows are grouped with a counting sort over (client, protocol); nothing is allocated per connection.
 */
import type { ConnectionTable } from '../flow/connections.js';
import { PROFILE_CODES, type ClientTable } from '../flow/clients.js';
import type { ReplayPlan } from '../verdict/plan.js';
import type { ReplaySpec } from '../verdict/spec.js';
import type { VerdictTable } from '../verdict/outcomes.js';
import { ruleOf } from '../verdict/outcomes.js';
import { verdictGate } from '../verdict/evaluator.js';
import { PortMaps, type PortVerdicts } from '../verdict/probe.js';
import { KeyIndex } from '../flow/keyindex.js';
import { groupRows } from '../typed.js';

/**
 * Linux connect() picks TCP source ports of the range's low-end parity first (inet_hash_connect, kernel 4.6+); the
 * kernel lab measured 100% of kernel-chosen TCP ports with that parity and about 50% for UDP (udp_lib_get_port).
 */
export const PARITY_EVIDENCE = 0.9;
/** Fewest ports of one client and protocol for its own parity share to decide the model (else the profile does). */
export const PARITY_MIN_PORTS = 8;
/**
 * Consecutive connections to one destination whose ports differ by at most this much count as sequential: the lab
 * measured a median step of 10 for Linux TCP connect(), and steps in the thousands for UDP and a random NAT.
 */
export const SEQUENTIAL_STEP = 16;
/** Fewest consecutive same-destination pairs for a client's own steps to decide whether it is sequential. */
export const SEQUENTIAL_MIN_STEPS = 3;

/** One distinct way the rules see a client's replies: a server/client signature pair and the server port. */
export interface Combo {
  /** PortMaps.pairId of (server, client). */
  pair: number;
  serverPort: number;
  /** An address id of a server of this combo (probes are sent from it). */
  server: number;
  connections: number;
}

/** What one gate denies of a client's range. */
export interface GateCoverage {
  /** Gate index (2 * placement + 1 for outbound). */
  gate: number;
  /** Share of the client's next connections this gate would deny (under the client's port model), 0..1. */
  failureProbability: number;
  /** Connections of the capture whose reply this gate denied. */
  deniedReturns: number;
  /** Ports of the range only the default deny (or no rule) refuses, for at least one combo. */
  missing: [number, number][];
  /** Ports of the range an explicit deny refuses: verdict code of the deny and its ports. */
  inForce: { code: number; ranges: [number, number][] }[];
}

/** Coverage of one client's range for one protocol. */
export interface ClientCoverage {
  /** ClientTable index and address id. */
  client: number;
  address: number;
  family: 4 | 6;
  proto: 6 | 17;
  connections: number;
  /** Connections of the capture whose reply was denied (at any gate). */
  deniedReturns: number;
  /** Lowest and highest client port of this protocol in the capture. */
  seen: [number, number];
  /** The range the client will draw from: its inferred profile's range, widened to the ports seen. */
  range: [number, number];
  /** True when the port model is Linux connect()'s first pass: only ports with the low end's parity. */
  parity: boolean;
  /** 'measured' when the client's own ports decided the model, 'profile' when there were too few. */
  modelEvidence: 'measured' | 'profile';
  /** Share of its ports (connections) with the range's low-end parity. */
  lowParityShare: number;
  /** Consecutive same-destination connection pairs, and how many of them moved by at most SEQUENTIAL_STEP. */
  steps: number;
  sequentialSteps: number;
  /** Failures come in runs: ports are picked sequentially per destination (measured, or Linux TCP by profile). */
  bursty: boolean;
  burstEvidence: 'measured' | 'profile';
  /** Share of its next connections any gate would deny, 0..1. */
  failureProbability: number;
  /** Gates denying part of the range, in gate order. */
  gates: GateCoverage[];
  combos: Combo[];
}

/** Coverage of every client and protocol of a scenario. */
export interface ScenarioCoverage {
  scenario: number;
  clients: ClientCoverage[];
}

interface DeniedPiece {
  code: number;
  from: number;
  to: number;
  /** Ports counted under the model (every port, or those of one parity). */
  weight: number;
}
interface RangeVerdicts {
  total: number;
  denied: DeniedPiece[];
}

const memo = new WeakMap<PortVerdicts, Map<number, RangeVerdicts>>();

/** Ports of [a, b] with parity `parity`. */
function parityCount(a: number, b: number, parity: number): number {
  const first = (a & 1) === parity ? a : a + 1;
  return first > b ? 0 : ((b - first) >> 1) + 1;
}

/** The denied intervals of a range under a port model (memoized per verdict map, range and model). */
export function rangeVerdicts(pv: PortVerdicts, lo: number, hi: number, parity: boolean): RangeVerdicts {
  let byRange = memo.get(pv);
  if (!byRange) memo.set(pv, (byRange = new Map()));
  const key = (lo * 65536 + hi) * 2 + (parity ? 1 : 0);
  let r = byRange.get(key);
  if (r) return r;
  r = { total: 0, denied: [] };
  const st = pv.starts;
  const p = lo & 1;
  for (let k = 0; k < st.length; k++) {
    const a = Math.max(st[k]!, lo);
    const b = Math.min(k + 1 < st.length ? st[k + 1]! - 1 : 65535, hi);
    if (a > b) continue;
    const w = parity ? parityCount(a, b, p) : b - a + 1;
    r.total += w;
    const code = pv.codes[k]!;
    if (code < 0) {
      const last = r.denied[r.denied.length - 1];
      if (last && last.code === code && last.to + 1 === a) {
        last.to = b;
        last.weight += w;
      } else r.denied.push({ code, from: a, to: b, weight: w });
    }
  }
  byRange.set(key, r);
  return r;
}

/** Add [a, b] to sorted disjoint ranges, merging what touches. */
export function addRange(ranges: [number, number][], a: number, b: number): void {
  let i = 0;
  while (i < ranges.length && ranges[i]![1] + 1 < a) i++;
  let lo = a;
  let hi = b;
  let j = i;
  while (j < ranges.length && ranges[j]![0] <= hi + 1) {
    lo = Math.min(lo, ranges[j]![0]);
    hi = Math.max(hi, ranges[j]![1]);
    j++;
  }
  ranges.splice(i, j - i, [lo, hi]);
}

/** True when a denying code is the default deny ('*') or no rule at all, false for an explicit deny rule. */
export function defaultDenyTest(plan: ReplayPlan, spec: ReplaySpec): (code: number) => boolean {
  const known = new Map<number, boolean>();
  return (code: number) => {
    let d = known.get(code);
    if (d === undefined) {
      const rule = ruleOf(plan, spec, code);
      d = rule === null || rule.ruleNumber === '*';
      known.set(code, d);
    }
    return d;
  };
}

export interface CoverageInput {
  plan: ReplayPlan;
  spec: ReplaySpec;
  connections: ConnectionTable;
  clients: ClientTable;
  verdicts: VerdictTable;
  portMaps: PortMaps;
}

/**
 * Coverage of every (client, protocol) whose TCP or UDP replies cross a gate of scenario s. `plan`/`spec`/
 * `portMaps` may be a fixed copy of the replay's: rows, clients and which returns were denied in the capture come
 * from the replay's own tables.
 */
export function scenarioCoverage(input: CoverageInput, s: number, only: Uint8Array | null = null): ScenarioCoverage {
  const { plan, spec, connections: ct, clients: t, verdicts: vt, portMaps: pm } = input;
  const n = ct.count;
  // Group rows by (client, protocol) with a counting sort; rows keep their order (the order connections began).
  const groupOf = new Int32Array(n).fill(-1);
  const groups = 2 * t.count;
  for (let i = 0; i < n; i++) {
    const proto = ct.proto[i]!;
    if (proto !== 6 && proto !== 17) continue;
    if (vt.returnCode(s, i) === 0) continue;
    const c = t.ofConnection(i);
    if (c < 0) continue;
    const g = 2 * c + (proto === 17 ? 1 : 0);
    if (only && !only[g]) continue;
    groupOf[i] = g;
  }
  const { start, rows } = groupRows(groupOf, groups);

  const isDefault = defaultDenyTest(plan, spec);
  const out: ClientCoverage[] = [];
  // Combos keyed by (client, pair, server port, protocol); the last port per (client, server, server port, protocol).
  const comboIndex = new KeyIndex(1024);
  const comboOf: Combo[] = [];
  const lastPort = new KeyIndex(1024);
  for (let g = 0; g < groups; g++) {
    const s0 = start[g]!;
    const s1 = start[g + 1]!;
    if (s0 === s1) continue;
    const c = g >> 1;
    const proto = (g & 1 ? 17 : 6) as 6 | 17;
    const address = t.address[c]!;
    const combos: Combo[] = [];
    let lo = 65535;
    let hi = 0;
    let denied = 0;
    // Gates met per group: one or two (a topology), so arrays and a linear search.
    const gateList: GateCoverage[] = [];
    const gateOf = (gate: number): GateCoverage => {
      for (const x of gateList) if (x.gate === gate) return x;
      const x: GateCoverage = { gate, failureProbability: 0, deniedReturns: 0, missing: [], inForce: [] };
      gateList.push(x);
      return x;
    };
    let steps = 0;
    let sequential = 0;
    let even = 0;
    for (let k = s0; k < s1; k++) {
      const i = rows[k]!;
      const port = ct.clientPort[i]!;
      if (port < lo) lo = port;
      if (port > hi) hi = port;
      if ((port & 1) === 0) even++;
      const r = vt.returnCode(s, i);
      if (r < 0) {
        denied++;
        gateOf(verdictGate(r)).deniedReturns++;
      }
      const server = ct.server[i]!;
      const sp = ct.serverPort[i]!;
      const pair = pm.pairId(s, server, address);
      const ci = comboIndex.intern(address, pair, sp, proto);
      if (ci === comboOf.length) {
        const combo = { pair, serverPort: sp, server, connections: 0 };
        comboOf.push(combo);
        combos.push(combo);
      }
      comboOf[ci]!.connections++;
      const dest = lastPort.intern(address, server, sp, proto);
      const last = lastPort.values[dest]!;
      if (last >= 0) {
        steps++;
        if (Math.abs(port - last) <= SEQUENTIAL_STEP) sequential++;
      }
      lastPort.values[dest] = port;
    }
    const connections = s1 - s0;
    const profile = PROFILE_CODES[t.profile[c]!]!;
    const range: [number, number] = [Math.min(t.rangeLo[c]!, lo), Math.max(t.rangeHi[c]!, hi)];
    const lowParity = (range[0] & 1) === 0 ? even : connections - even;
    const lowParityShare = lowParity / connections;
    const measured = connections >= PARITY_MIN_PORTS;
    const parity = measured ? lowParityShare >= PARITY_EVIDENCE : profile === 'linux' && proto === 6;
    const stepsMeasured = steps >= SEQUENTIAL_MIN_STEPS;
    const bursty = stepsMeasured ? sequential * 2 >= steps : profile === 'linux' && proto === 6 && parity;

    // Denied shares per gate, weighted by the connections of each combo.
    let failure = 0;
    for (const combo of combos) {
      const pv = pm.verdicts(s, combo.server, address, proto, combo.serverPort);
      const rv = rangeVerdicts(pv, range[0], range[1], parity);
      const w = combo.connections / connections;
      for (const d of rv.denied) {
        const gc = gateOf(verdictGate(d.code));
        const share = rv.total ? (w * d.weight) / rv.total : 0;
        gc.failureProbability += share;
        failure += share;
        if (isDefault(d.code)) addRange(gc.missing, d.from, d.to);
        else {
          let f = gc.inForce.find((x) => x.code === d.code);
          if (!f) gc.inForce.push((f = { code: d.code, ranges: [] }));
          addRange(f.ranges, d.from, d.to);
        }
      }
    }
    // (Gates that denied replies only to ports outside the modelled range keep a share of 0.)
    out.push({
      client: c,
      address,
      family: ct.addresses.family[address] as 4 | 6,
      proto,
      connections,
      deniedReturns: denied,
      seen: [lo, hi],
      range,
      parity,
      modelEvidence: measured ? 'measured' : 'profile',
      lowParityShare: Math.round(lowParityShare * 1000) / 1000,
      steps,
      sequentialSteps: sequential,
      bursty,
      burstEvidence: stepsMeasured ? 'measured' : 'profile',
      failureProbability: Math.min(1, failure),
      gates: gateList.sort((a, b) => a.gate - b.gate),
      combos,
    });
  }
  return { scenario: s, clients: out };
}

/** Ranges as text ("1024-32767, 40000"), all of them. */
export function rangesText(ranges: readonly [number, number][]): string {
  return ranges.length ? ranges.map(([a, b]) => (a === b ? String(a) : `${a}-${b}`)).join(', ') : 'none';
}

/** Ports in ranges. */
export function rangesSize(ranges: readonly [number, number][]): number {
  let n = 0;
  for (const [a, b] of ranges) n += b - a + 1;
  return n;
}
