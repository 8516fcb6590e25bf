/** Renders a diff between two candidates: table and examples for people, JSON and JSON lines for machines. */
import type { DiffReport } from '../analyze/diff.js';
import type { Format } from './format.js';
import { table, jsonLines } from './text.js';

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
