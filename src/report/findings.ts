/** Renders capture findings (and, with --acl, the candidates' diagnoses) as text, JSON, JSON lines or TSV. */
import type { CaptureFinding } from '../analyze/findings.js';
import type { Diagnosis } from '../analyze/diagnoses/index.js';
import type { RejectExplanation } from '../analyze/rejects.js';
import type { Format } from './format.js';
import { diagnosisText } from './diagnoses.js';
import { tsv, jsonLines, endpoint, table } from './text.js';

const FINDING_FIELDS = ['code', 'proto', 'server', 'serverPort', 'failed', 'ok', 'threshold.side', 'threshold.port', 'clients', 'message'];
const FINDING_TYPES = ['string', 'string', 'addr', 'port', 'count', 'count', 'string', 'port', 'count', 'string'];

/** Findings, then diagnoses, then (flow logs with --acl) the REJECT records explained. */
export function renderFindings(findings: CaptureFinding[], format: Format, extra: Record<string, unknown> = {}, diagnoses: Diagnosis[] = [], rejects: RejectExplanation[] = []): string {
  if (format === 'json') return JSON.stringify({ ...extra, findings }, null, 2) + '\n';
  if (format === 'jsonl') return jsonLines([...findings, ...diagnoses, ...rejects.map((e) => ({ code: 'REJECT_EXPLANATION', ...e }))]);
  if (format === 'tsv') return tsv('diagnose', FINDING_FIELDS, FINDING_TYPES, [...findings, ...diagnoses] as unknown as Record<string, unknown>[]);
  let out = findings.length === 0 ? 'no failed connections that point at dropped traffic\n' : findings.map((f) => `${f.code}: ${f.message}\n${examplesText(f)}`).join('\n');
  if (diagnoses.length) out += '\n' + diagnoses.map((d) => `[${d.scenario}] ${diagnosisText(d)}`).join('\n');
  if (rejects.length) out += '\n' + rejectsText(rejects);
  return out;
}

function rejectsText(rejects: RejectExplanation[]): string {
  const rows = rejects.map((e) => [e.acl, e.interface, e.direction ?? '-', e.rule ?? '-', e.cause, e.records, e.packets, e.examples[0] ?? '-']);
  return `REJECT records explained by the deployed ACL:\n${table(['acl', 'interface', 'dir', 'rule', 'cause', 'records', 'packets', 'example'], rows)}${rejects.map((e) => `  ${e.records} record${e.records === 1 ? '' : 's'} on ${e.interface}: ${e.reason}\n`).join('')}`;
}

function examplesText(f: CaptureFinding): string {
  const refs = f.code === 'RETURN_DROP_SUSPECTED' ? [...f.examples.failed.map((r) => ['failed', r] as const), ...f.examples.ok.map((r) => ['ok', r] as const)] : f.examples.map((r) => ['failed', r] as const);
  return refs.map(([k, r]) => `  ${k.padEnd(6)} ${endpoint(r.client, r.clientPort)} -> ${endpoint(r.server, r.serverPort)} ${r.state} ${r.attempt}${r.synRetransmits ? ` (${r.synRetransmits} SYN retransmits)` : ''}${r.record ? ` (${r.record})` : ''}`).join('\n') + '\n';
}
