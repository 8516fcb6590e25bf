/**
 * The review an ACL change needs: connections whose outcome differs between two candidates, grouped by cause
 * (the transition and the deciding rule in each version), with counts and examples.
 */
import type { ReplayResult } from './replay.js';
import { OUTCOMES, OutcomeCode, type Outcome, type VerdictTable } from '../verdict/outcomes.js';
import { connectionRef, type ConnectionRef } from './findings.js';
import { KeyIndex } from '../flow/keyindex.js';
import { newlyDenied, type NewlyDenied } from './newly-denied.js';

export interface Change {
  from: Outcome;
  to: Outcome;
  /** The deciding rule for the blocked direction, old and new (e.g. "egress *", "egress rule 120 allow"). */
  oldCause: string;
  newCause: string;
  connections: number;
  clients: number;
  examples: ConnectionRef[];
}

export interface DiffReport {
  old: string;
  new: string;
  connections: number;
  changed: number;
  unchanged: number;
  fixed: number;
  broken: number;
  changes: Change[];
  /** What the new candidate denies that the old one did not, per rule of the new one (src/analyze/newly-denied.ts). */
  newlyDenied: NewlyDenied[];
}

/** Cause texts, numbered: what explains an outcome, said once per distinct deciding code and direction. */
class Causes {
  readonly texts: string[] = [];
  private readonly ids = new Map<string, number>();
  private readonly byCode = new Map<number, number>();
  constructor(private readonly vt: VerdictTable) {}

  /** The direction that explains the outcome: a denied one (forward first), else the return, else the forward. */
  of(s: number, row: number): number {
    const f = this.vt.forwardCode(s, row);
    const r = this.vt.returnCode(s, row);
    const forward = f < 0 || (r === 0 && f !== 0);
    const code = f < 0 ? f : r < 0 ? r : r !== 0 ? r : f;
    const key = code * 2 + (forward ? 1 : 0);
    let id = this.byCode.get(key);
    if (id === undefined) {
      const d = this.vt.decider(code);
      const text = code === 0 ? 'not applicable' : `${forward ? 'forward' : 'return'}: ${d.direction === 'outbound' ? 'egress' : 'ingress'} ${d.rule === '*' ? '*' : `rule ${d.rule}`} ${d.action}`;
      id = this.ids.get(text);
      if (id === undefined) this.ids.set(text, (id = this.texts.push(text) - 1));
      this.byCode.set(key, id);
    }
    return id;
  }
}

const good = (o: number) => o === OutcomeCode.OK || o === OutcomeCode.NOT_APPLICABLE;

export function diffScenarios(r: ReplayResult, a: number, b: number): DiffReport {
  const vt = r.verdicts;
  const ct = r.connections;
  const n = ct.count;
  const causes = new Causes(vt);
  const keys = new KeyIndex(64);
  const groups: (Change & { hosts: Set<number> })[] = [];
  let changed = 0;
  let fixed = 0;
  let broken = 0;
  for (let i = 0; i < n; i++) {
    const x = vt.outcome[a * n + i]!;
    const y = vt.outcome[b * n + i]!;
    if (x === y) continue; // same outcome, different rule: not a behaviour change
    changed++;
    if (good(y) && !good(x)) fixed++;
    if (!good(y) && good(x)) broken++;
    const oldCause = causes.of(a, i);
    const newCause = causes.of(b, i);
    const k = keys.intern(x, y, oldCause, newCause);
    if (k === groups.length) groups.push({ from: OUTCOMES[x]!, to: OUTCOMES[y]!, oldCause: causes.texts[oldCause]!, newCause: causes.texts[newCause]!, connections: 0, clients: 0, examples: [], hosts: new Set() });
    const g = groups[k]!;
    g.connections++;
    g.hosts.add(ct.client[i]!);
    if (g.examples.length < 5) g.examples.push(connectionRef(ct, i));
  }
  const changes = groups.map(({ hosts, ...c }) => ({ ...c, clients: hosts.size })).sort((p, q) => q.connections - p.connections);
  return { old: r.report.acls[a]!.acl, new: r.report.acls[b]!.acl, connections: n, changed, unchanged: n - changed, fixed, broken, changes, newlyDenied: newlyDenied(r, a, b) };
}
