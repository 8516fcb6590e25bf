/** Renders a FlowLogSummary (`info` on flow logs) for people (aligned text) or machines (JSON). */
import type { FlowLogSummary } from '../flowlogs/source.js';
import { keyValues, table, isoTime, count } from './text.js';

/** `info` on flow logs for people: key facts, files, interfaces, coverage gaps, problems by file and line. */
export function renderFlowLogInfoText(s: FlowLogSummary): string {
  const formats = [...new Set(s.files.map((f) => `${f.format}${f.compression ? ` (${f.compression})` : ''}`))].join(', ');
  const st = s.recordsByStatus;
  const pairs: [string, string][] = [
    ['inputs', s.inputs.join(', ')],
    ['format', `VPC flow logs: ${s.files.length} file${s.files.length === 1 ? '' : 's'}${formats ? `, ${formats}` : ''}${s.skipped.length ? `; ${s.skipped.length} other file${s.skipped.length === 1 ? '' : 's'} skipped` : ''}`],
    ['records', `${count(s.records)}: ${count(st.ok)} OK, ${count(st.nodata)} NODATA, ${count(st.skipdata)} SKIPDATA; ${count(s.recordsByAction.accept)} ACCEPT, ${count(s.recordsByAction.reject)} REJECT`],
    ['packets', count(s.packets)],
    ['bytes', `${count(s.bytes)} (IP bytes, as flow logs count them)`],
    ['connections', `${count(s.connections)} on ${s.interfaces.length} interface${s.interfaces.length === 1 ? '' : 's'}`],
    ['time span', s.firstTs === null ? '-' : `${isoTime(s.firstTs)} .. ${isoTime(s.lastTs!)} (${s.duration} s)`],
  ];
  const totals = Object.entries(s.problemTotals);
  pairs.push(['problems', totals.length ? totals.map(([k, n]) => `${k} ${count(n)}`).join(', ') + (s.incomplete ? ' (a file could not be read to its end)' : '') : 'none']);
  let out = keyValues(pairs);
  out += '\n' + table(['file', 'format', 'compression', 'lines', 'records', 'malformed'], s.files.map((f) => [f.file, f.format, f.compression, f.lines, f.records, f.malformed]));
  if (s.interfaces.length) out += '\n' + table(['interface', 'records', 'REJECT', 'connections', 'packets'], s.interfaces.map((f) => [f.interface, f.records, f.rejectRecords, f.connections, f.packets]));
  if (s.coverageGaps.length) {
    out += '\ncoverage gaps:\n' + table(['interface', 'status', 'from', 'to', 'records'], s.coverageGaps.map((g) => [g.interface, g.status, isoTime(g.start), isoTime(g.end), g.records]));
    if (s.skipdataNote) out += `${s.skipdataNote}\n`;
  }
  if (s.skipped.length) out += '\n' + table(['skipped file', 'reason'], s.skipped.map((k) => [k.file, k.reason]));
  if (s.problems.length) {
    out += '\n' + table(['file', 'line', 'kind', 'message'], s.problems.map((p) => [p.file ?? '-', p.line ?? '-', p.kind, p.message]));
    const total = Object.values(s.problemTotals).reduce((a, b) => a + b, 0);
    if (total > s.problems.length) out += `(first ${s.problems.length} of ${count(total)} problems shown)\n`;
  }
  return out;
}

/** `info -F json` on flow logs (FlowLogSummary; the CLI contract). */
export function renderFlowLogInfoJson(s: FlowLogSummary): string {
  return JSON.stringify(s, null, 2) + '\n';
}
