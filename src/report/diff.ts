/** Renders a diff between two candidates: table and examples for people, JSON and JSON lines for machines. */
import type { DiffReport } from '../analyze/diff.js';
import type { Format } from './format.js';
import { table, jsonLines } from './text.js';

export function renderDiff(d: DiffReport, format: Format): string {
  if (format === 'json') return JSON.stringify(d, null, 2) + '\n';
  if (format === 'jsonl') return jsonLines(d.changes);
  let out = `${d.old} -> ${d.new}: ${d.changed} of ${d.connections} connections change (${d.fixed} fixed, ${d.broken} broken)\n`;
  if (d.newlyDenied.length) out += '\n' + newlyDeniedText(d);
  if (d.changes.length === 0) return out;
  out += '\n' + table(['from', 'to', 'connections', 'clients', 'old cause', 'new cause'], d.changes.map((c) => [c.from, c.to, c.connections, c.clients, c.oldCause, c.newCause]));
  for (const c of d.changes) {
    out += `\n${c.from} -> ${c.to} (${c.connections}):\n`;
    for (const e of c.examples) out += `  ${e.client}:${e.clientPort ?? '-'} -> ${e.server}:${e.serverPort ?? '-'} ${e.proto} ${e.state}${e.record ? ` (${e.record})` : ''}\n`;
  }
  return out;
}

function ruleText(n: DiffReport['newlyDenied'][number]): string {
  const dir = n.direction === 'outbound' ? 'egress' : 'ingress';
  const fam = n.family === 6 ? ' (IPv6)' : n.family === 4 ? ' (IPv4)' : '';
  return n.rule === '*' ? `${dir} *${fam}` : n.rule === null ? `${dir} (no rule)` : `${dir} rule ${n.rule}`;
}

function newlyDeniedText(d: DiffReport): string {
  const logged = d.newlyDenied.some((n) => n.records !== null);
  let out = `newly denied by ${d.new}:\n`;
  out += table(
    logged ? ['rule', 'directions', 'records', 'packets', 'bytes'] : ['rule', 'directions', 'packets', 'bytes'],
    d.newlyDenied.map((n) => (logged ? [ruleText(n), n.connections, n.records, n.packets, n.bytes] : [ruleText(n), n.connections, n.packets, n.bytes])),
  );
  for (const n of d.newlyDenied) {
    out += `${ruleText(n)} would deny:\n`;
    for (const e of n.examples) out += `  ${e.side.padEnd(7)} ${e.client}:${e.clientPort ?? '-'} -> ${e.server}:${e.serverPort ?? '-'} ${e.proto}, ${e.packets} packets${e.record ? ` (${e.record})` : ''}\n`;
  }
  return out;
}
