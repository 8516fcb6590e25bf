/** Renders `aclreplay lint` reports: an aligned table per ACL for people, one JSON document for machines. */
import { coverageSentence, type LintReport } from '../analyze/lint.js';
import { table } from './text.js';
import { endpoint } from './text.js';

/** The `lint -F json` document: { acls: [{ id, file, rules, findings, coverage }] }. */
export function renderLintJson(reports: LintReport[]): string {
  return `${JSON.stringify({ acls: reports }, null, 2)}\n`;
}

/** Findings table and coverage lines per ACL. */
export function renderLintText(reports: LintReport[]): string {
  const out: string[] = [];
  for (const r of reports) {
    out.push(`${r.id}${r.name ? ` (${r.name})` : ''}  ${r.file}  [${r.format}]  ${r.rules.inbound} inbound / ${r.rules.outbound} outbound rules`);
    if (r.findings.length === 0) out.push('no findings\n');
    else
      out.push(
        table(
          ['severity', 'code', 'direction', 'rule', 'message'],
          r.findings.map((f) => [f.severity, f.code, f.direction === null ? null : f.direction === 'inbound' ? 'ingress' : 'egress', f.rule === null ? null : String(f.rule), f.message]),
        ),
      );
    if (r.coverage.length > 0) {
      const probes = [...new Set(r.coverage.map((c) => `${c.direction === 'inbound' ? 'ingress' : 'egress'} IPv${c.family}: ${endpoint(c.probe.src, c.probe.sport)} -> ${endpoint(c.probe.dst, '<port>')}`))];
      out.push(`return-traffic coverage (probes: ${probes.join('; ')})`);
      for (const c of r.coverage) out.push(`  ${coverageSentence(c)}`);
      out.push('');
    }
  }
  return out.join('\n');
}
