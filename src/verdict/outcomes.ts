/**
 * Connection outcomes per scenario: what each direction of each connection met (the deciding rule and action), and
 * whether the connection as a whole would work, as typed-array columns over the connection table. A direction with
 * no packets in the traffic (a SYN never answered, a one-sided capture) is judged on a synthetic packet: the reply
 * the server would have sent, or the request (src/verdict/probe.ts).
 */
import type { Acl, Rule } from '../acl/model.js';
import { clientSideOf } from '../flow/orient.js';
import type { ConnectionTable } from '../flow/connections.js';
import type { ReplayPlan } from './plan.js';
import type { ReplaySpec } from './spec.js';
import { SegmentVerdicts } from './counters.js';
import { verdictGate, verdictRule } from './evaluator.js';
import { judgeMissingDirections } from './probe.js';

export const OUTCOMES = ['ok', 'forward-blocked', 'return-blocked', 'both-blocked', 'not-applicable'] as const;
export type Outcome = (typeof OUTCOMES)[number];
/** Outcome codes (index into OUTCOMES), as the outcome column holds them. */
export const OutcomeCode = { OK: 0, FORWARD_BLOCKED: 1, RETURN_BLOCKED: 2, BOTH_BLOCKED: 3, NOT_APPLICABLE: 4 } as const;
/** How people read each outcome (legends, tooltips). */
export const OUTCOME_WORDS: Record<Outcome, string> = {
  ok: 'ok',
  'forward-blocked': 'forward-blocked',
  'return-blocked': 'return-blocked',
  'both-blocked': 'both-blocked',
  'not-applicable': 'not applicable',
};

/** What one direction of a connection met (the replay record's `forward` / `return`). */
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
  /** True when judged on a synthetic packet because the traffic has none in this direction. */
  synthetic: boolean;
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

/** What a verdict code names: the gate's ACL and direction, the rule number and the action. */
export type Decider = Pick<DirectionVerdict, 'direction' | 'acl' | 'rule' | 'action'>;
const NOT_JUDGED: Decider = { direction: null, acl: null, rule: null, action: null };

/**
 * Verdicts of every connection in every scenario. Counters come per connection, scenario and key direction from the
 * capture pass (index (row * S + s) * 2 + keyDir); a direction without packets holds its synthetic packet's code in
 * the first-deny (denied) or first-allow (allowed) slot.
 */
export class VerdictTable {
  readonly scenarios: number;
  /** Outcome code per scenario and connection: outcome[s * count + row]. */
  readonly outcome: Uint8Array;
  /** The deciding verdict code of each direction, per scenario and connection (same index as outcome). */
  private readonly forwardCodes: Int32Array;
  private readonly returnCodes: Int32Array;
  private readonly deciders = new Map<number, Decider>();

  constructor(
    readonly plan: ReplayPlan,
    readonly spec: ReplaySpec,
    readonly connections: ConnectionTable,
    readonly counters: SegmentVerdicts,
  ) {
    const S = spec.scenarios.length;
    const n = connections.count;
    this.scenarios = S;
    counters.ensure(n);
    judgeMissingDirections(spec, connections, (row, fromClient, s, code) => {
      if (code === 0) return;
      const j = this.slot(s, row, fromClient);
      if (code < 0) counters.firstDeny[j] = code;
      else counters.firstAllow[j] = code;
    });
    this.outcome = new Uint8Array(S * n);
    this.forwardCodes = new Int32Array(S * n);
    this.returnCodes = new Int32Array(S * n);
    for (let s = 0; s < S; s++) {
      for (let row = 0; row < n; row++) {
        const f = this.code(s, row, true);
        const r = this.code(s, row, false);
        this.forwardCodes[s * n + row] = f;
        this.returnCodes[s * n + row] = r;
        let o: number;
        if (f === 0 && r === 0) o = OutcomeCode.NOT_APPLICABLE;
        else if (f < 0 && r < 0) o = OutcomeCode.BOTH_BLOCKED;
        else if (f < 0) o = OutcomeCode.FORWARD_BLOCKED;
        else if (r < 0) o = OutcomeCode.RETURN_BLOCKED;
        else o = OutcomeCode.OK;
        this.outcome[s * n + row] = o;
      }
    }
  }

  /** Counter index of a connection direction: forward = sent by the client. */
  private slot(s: number, row: number, forward: boolean): number {
    const cs = clientSideOf(this.connections.orientation[row]!);
    return (row * this.scenarios + s) * 2 + (forward ? cs : 1 - cs);
  }

  private code(s: number, row: number, forward: boolean): number {
    const j = this.slot(s, row, forward);
    const c = this.counters;
    const packets = forward ? this.connections.clientPackets[row]! : this.connections.serverPackets[row]!;
    if (packets === 0) return c.firstDeny[j]! || c.firstAllow[j]!;
    return c.deny[j]! > 0 ? c.firstDeny[j]! : c.allow[j]! > 0 ? c.firstAllow[j]! : 0;
  }

  /** Verdict code deciding the client-to-server direction (0 = not applicable, < 0 denied). */
  forwardCode(s: number, row: number): number {
    return this.forwardCodes[s * this.connections.count + row]!;
  }
  /** Verdict code deciding the server-to-client direction. */
  returnCode(s: number, row: number): number {
    return this.returnCodes[s * this.connections.count + row]!;
  }

  outcomeOf(s: number, row: number): Outcome {
    return OUTCOMES[this.outcome[s * this.connections.count + row]!]!;
  }

  /** Connections of scenario s per outcome. */
  outcomeCounts(s: number): Record<Outcome, number> {
    const counts = new Float64Array(OUTCOMES.length);
    const n = this.connections.count;
    for (let row = 0; row < n; row++) counts[this.outcome[s * n + row]!]!++;
    return Object.fromEntries(OUTCOMES.map((o, k) => [o, counts[k]!])) as Record<Outcome, number>;
  }

  /** What a verdict code names, looked up once per code. */
  decider(code: number): Decider {
    if (code === 0) return NOT_JUDGED;
    let d = this.deciders.get(code);
    if (!d) {
      const g = gateInfo(this.plan, this.spec, verdictGate(code));
      const rule = ruleOf(this.plan, this.spec, code);
      d = { direction: g.direction, acl: g.acl.id, rule: rule ? rule.ruleNumber : null, action: code > 0 ? 'allow' : 'deny' };
      this.deciders.set(code, d);
    }
    return d;
  }

  /** One direction of a connection as the replay record shows it (an object only while it is rendered). */
  direction(s: number, row: number, forward: boolean): DirectionVerdict {
    const code = forward ? this.forwardCode(s, row) : this.returnCode(s, row);
    const d = this.decider(code);
    const packets = forward ? this.connections.clientPackets[row]! : this.connections.serverPackets[row]!;
    const j = this.slot(s, row, forward);
    if (packets === 0) return { direction: d.direction, acl: d.acl, rule: d.rule, action: d.action, packets: 0, allowed: 0, denied: 0, synthetic: code !== 0 };
    return { direction: d.direction, acl: d.acl, rule: d.rule, action: d.action, packets, allowed: this.counters.allow[j]!, denied: this.counters.deny[j]!, synthetic: false };
  }

  /** True when the direction was judged on a synthetic packet. */
  synthetic(s: number, row: number, forward: boolean): boolean {
    const packets = forward ? this.connections.clientPackets[row]! : this.connections.serverPackets[row]!;
    return packets === 0 && (forward ? this.forwardCode(s, row) : this.returnCode(s, row)) !== 0;
  }
}
