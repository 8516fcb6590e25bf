/**
 * Connection outcomes per scenario: what each direction of each connection met (the deciding rule and action), and
 * whether the connection as a whole would work. A direction with no packets in the capture (a SYN never answered,
 * a one-sided capture) is judged on a synthetic packet: the reply the server would have sent, or the request.
 */
import type { Acl, Rule } from '../acl/model.js';
import { PacketBatch, Layer } from '../decode/batch.js';
import type { FlowTable } from '../flow/table.js';
import { KeyBit } from '../flow/table.js';
import type { Connection } from '../flow/connections.js';
import type { ReplayPlan, ReplaySpec } from './scenario.js';
import { Evaluator, SegmentVerdicts, verdictGate, verdictRule } from './verdicts.js';

export type Outcome = 'ok' | 'forward-blocked' | 'return-blocked' | 'both-blocked' | 'not-applicable';
export const OUTCOMES: Outcome[] = ['ok', 'forward-blocked', 'return-blocked', 'both-blocked', 'not-applicable'];

/** What one direction of a connection met. */
export interface DirectionVerdict {
  /** The ACL direction of the deciding gate: AWS ingress = inbound, egress = outbound. */
  direction: 'inbound' | 'outbound' | null;
  /** The deciding ACL (which one, in a topology). */
  acl: string | null;
  rule: number | '*' | null;
  action: 'allow' | 'deny' | null;
  packets: number;
  allowed: number;
  denied: number;
  /** True when judged on a synthetic packet because the capture has none in this direction. */
  synthetic: boolean;
  /** Internal: the verdict code (gate and rule), 0 when not applicable. */
  code: number;
}

export interface ConnectionVerdict {
  scenario: number;
  connection: Connection;
  outcome: Outcome;
  forward: DirectionVerdict;
  return: DirectionVerdict;
}

/** Names for a gate: the ACL (id) and direction. */
export function gateInfo(plan: ReplayPlan, spec: ReplaySpec, gate: number): { acl: Acl; direction: 'inbound' | 'outbound'; placement: number } {
  const p = spec.placements[gate >> 1]!;
  return { acl: plan.acls[p.acl]!, direction: gate & 1 ? 'outbound' : 'inbound', placement: gate >> 1 };
}

/** The rule a verdict code names. */
export function ruleOf(plan: ReplayPlan, spec: ReplaySpec, code: number): Rule | null {
  if (code === 0) return null;
  const g = gateInfo(plan, spec, verdictGate(code));
  const r = verdictRule(code);
  return r < 0 ? null : (g.direction === 'inbound' ? g.acl.inbound : g.acl.outbound)[r] ?? null;
}

type Decider = Pick<DirectionVerdict, 'direction' | 'acl' | 'rule' | 'action'>;
const NOT_JUDGED: Decider = { direction: null, acl: null, rule: null, action: null };

/** What a verdict code names (gate, ACL, rule, action), looked up once per code and spec. */
const deciders = new WeakMap<ReplaySpec, Map<number, Decider>>();
function decider(plan: ReplayPlan, spec: ReplaySpec, code: number): Decider {
  if (code === 0) return NOT_JUDGED;
  let byCode = deciders.get(spec);
  if (!byCode) deciders.set(spec, (byCode = new Map()));
  let d = byCode.get(code);
  if (!d) {
    const g = gateInfo(plan, spec, verdictGate(code));
    const rule = ruleOf(plan, spec, code);
    d = { direction: g.direction, acl: g.acl.id, rule: rule ? rule.ruleNumber : null, action: code > 0 ? 'allow' : 'deny' };
    byCode.set(code, d);
  }
  return d;
}

function directionVerdict(plan: ReplayPlan, spec: ReplaySpec, code: number, packets: number, allowed: number, denied: number, synthetic: boolean): DirectionVerdict {
  const d = decider(plan, spec, code);
  return { direction: d.direction, acl: d.acl, rule: d.rule, action: d.action, packets, allowed, denied, synthetic, code };
}

/** Fill row i of `batch` with a packet of connection f sent by key endpoint `side` (0 = lower). */
function syntheticPacket(t: FlowTable, f: number, side: 0 | 1, reply: boolean, batch: PacketBatch, i: number): boolean {
  const k = 4 * f;
  const w3 = t.keys[k + 3]!;
  const proto = w3 & 0xff;
  if (w3 & KeyBit.ICMP_MESSAGE) return false;
  if (proto !== 6 && proto !== 17 && proto !== 1 && proto !== 58) return false;
  const v6 = (w3 & KeyBit.IPV6) !== 0;
  const ports = t.keys[k + 2]!;
  const a = t.keys[k + side]!;
  const b = t.keys[k + 1 - side]!;
  const base = 4 * i;
  if (v6) {
    const w = t.addrs6.keys;
    for (let x = 0; x < 4; x++) {
      batch.src[base + x] = w[4 * a + x]!;
      batch.dst[base + x] = w[4 * b + x]!;
    }
  } else {
    batch.src[base] = a;
    batch.dst[base] = b;
  }
  batch.family[i] = v6 ? 6 : 4;
  batch.proto[i] = proto;
  batch.layer[i] = Layer.TRANSPORT;
  batch.frag[i] = 0;
  const sp = side === 0 ? ports >>> 16 : ports & 0xffff;
  const dp = side === 0 ? ports & 0xffff : ports >>> 16;
  batch.sport[i] = sp;
  batch.dport[i] = dp;
  batch.tcpFlags[i] = proto === 6 ? (reply ? 0x12 : 0x02) : 0;
  batch.icmpType[i] = proto === 1 ? (reply ? 0 : 8) : proto === 58 ? (reply ? 129 : 128) : 0;
  batch.icmpCode[i] = 0;
  return true;
}

/** Verdicts of every connection in every scenario (connections in table order). */
export function connectionVerdicts(plan: ReplayPlan, spec: ReplaySpec, table: FlowTable, conns: Connection[], v: SegmentVerdicts): ConnectionVerdict[][] {
  const S = spec.scenarios.length;
  // Synthetic packets for directions the capture never saw, judged in batches.
  const missing: { f: number; side: 0 | 1; reply: boolean }[] = [];
  for (const c of conns) {
    const f = c.id;
    const cs = c.clientSide;
    if (table.packetsOf(f, cs) === 0) missing.push({ f, side: cs, reply: false });
    if (table.packetsOf(f, 1 - cs) === 0) missing.push({ f, side: (1 - cs) as 0 | 1, reply: true });
  }
  const synthetic = new Map<number, Int32Array>(); // (2*f + side) -> code per scenario
  const batch = new PacketBatch(1024);
  const ev = new Evaluator(spec, batch.capacity);
  for (let start = 0; start < missing.length; start += batch.capacity) {
    const part = missing.slice(start, start + batch.capacity);
    batch.length = 0;
    const rows: number[] = [];
    for (const m of part) {
      if (syntheticPacket(table, m.f, m.side, m.reply, batch, batch.length)) {
        rows.push(2 * m.f + m.side);
        batch.length++;
      }
    }
    if (batch.length === 0) continue;
    ev.evaluate(batch);
    rows.forEach((key, i) => synthetic.set(key, Int32Array.from({ length: S }, (_, s) => ev.verdicts[s * batch.capacity + i]!)));
  }
  const out: ConnectionVerdict[][] = [];
  for (let s = 0; s < S; s++) {
    const list: ConnectionVerdict[] = new Array(conns.length);
    for (let n = 0; n < conns.length; n++) {
      const c = conns[n]!;
      const f = c.id;
      const judge = (side: 0 | 1): DirectionVerdict => {
        const j = (f * S + s) * 2 + side;
        const packets = table.packetsOf(f, side);
        if (packets === 0) {
          const code = synthetic.get(2 * f + side)?.[s] ?? 0;
          return directionVerdict(plan, spec, code, 0, 0, 0, code !== 0);
        }
        const allowed = v.allow[j]!;
        const denied = v.deny[j]!;
        const code = denied > 0 ? v.firstDeny[j]! : allowed > 0 ? v.firstAllow[j]! : 0;
        return directionVerdict(plan, spec, code, packets, allowed, denied, false);
      };
      const forward = judge(c.clientSide);
      const ret = judge((1 - c.clientSide) as 0 | 1);
      let outcome: Outcome;
      const fd = forward.action === 'deny';
      const rd = ret.action === 'deny';
      if (forward.action === null && ret.action === null) outcome = 'not-applicable';
      else if (fd && rd) outcome = 'both-blocked';
      else if (fd) outcome = 'forward-blocked';
      else if (rd) outcome = 'return-blocked';
      else outcome = 'ok';
      list[n] = { scenario: s, connection: c, outcome, forward, return: ret };
    }
    out.push(list);
  }
  return out;
}
