/**
 * The review an ACL change needs: connections whose outcome differs between two candidates, grouped by cause
 * (the transition and the deciding rule in each version), with counts and examples.
 */
import type { ReplayResult } from './run.js';
import type { ConnectionVerdict, Outcome } from './outcomes.js';
import { ref, type ConnectionRef } from '../flow/failures.js';
import { table, jsonLines } from '../report/text.js';
import type { Format } from '../report/flows.js';

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
}

function cause(v: ConnectionVerdict): string {
  const d = v.forward.action === 'deny' ? v.forward : v.return.action === 'deny' ? v.return : v.return.action ? v.return : v.forward;
  if (!d.action) return 'not applicable';
  return `${d === v.forward ? 'forward' : 'return'}: ${d.direction === 'outbound' ? 'egress' : 'ingress'} ${d.rule === '*' ? '*' : `rule ${d.rule}`} ${d.action}`;
}

const GOOD = new Set<Outcome>(['ok', 'not-applicable']);

export function diffScenarios(r: ReplayResult, a: number, b: number): DiffReport {
  const va = r.verdicts[a]!;
  const vb = r.verdicts[b]!;
  const groups = new Map<string, Change & { hosts: Set<string> }>();
  let changed = 0;
  let fixed = 0;
  let broken = 0;
  for (let i = 0; i < va.length; i++) {
    const x = va[i]!;
    const y = vb[i]!;
    if (x.outcome === y.outcome) continue; // same outcome, different rule: not a behaviour change
    changed++;
    if (GOOD.has(y.outcome) && !GOOD.has(x.outcome)) fixed++;
    if (!GOOD.has(y.outcome) && GOOD.has(x.outcome)) broken++;
    const key = `${x.outcome}|${y.outcome}|${cause(x)}|${cause(y)}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { from: x.outcome, to: y.outcome, oldCause: cause(x), newCause: cause(y), connections: 0, clients: 0, examples: [], hosts: new Set() }));
    g.connections++;
    g.hosts.add(x.connection.client);
    if (g.examples.length < 5) g.examples.push(ref(x.connection));
  }
  const changes = [...groups.values()].map(({ hosts, ...c }) => ({ ...c, clients: hosts.size })).sort((p, q) => q.connections - p.connections);
  return { old: r.report.acls[a]!.acl, new: r.report.acls[b]!.acl, connections: va.length, changed, unchanged: va.length - changed, fixed, broken, changes };
}

export function renderDiff(d: DiffReport, format: Format): string {
  if (format === 'json') return JSON.stringify(d, null, 2) + '\n';
  if (format === 'jsonl') return jsonLines(d.changes);
  let out = `${d.old} -> ${d.new}: ${d.changed} of ${d.connections} connections change (${d.fixed} fixed, ${d.broken} broken)\n`;
  if (d.changes.length === 0) return out;
  out += '\n' + table(['from', 'to', 'connections', 'clients', 'old cause', 'new cause'], d.changes.map((c) => [c.from, c.to, c.connections, c.clients, c.oldCause, c.newCause]));
  for (const c of d.changes) {
    out += `\n${c.from} -> ${c.to} (${c.connections}):\n`;
    for (const e of c.examples) out += `  ${e.client}:${e.clientPort ?? '-'} -> ${e.server}:${e.serverPort ?? '-'} ${e.proto} ${e.state}\n`;
  }
  return out;
}
