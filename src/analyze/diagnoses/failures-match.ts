/**
 * FAILURES_MATCH_RULE ties the capture to the candidate: are the connections that failed in the capture
 * (unanswered, SYN-ACK never acknowledged) exactly the ones the candidate denies? Lists the rules, the failures it
 * does not explain and the working connections it would break.
 */
import { Attempt } from '../../flow/connections.js';
import { gateInfo, ruleOf } from '../../verdict/outcomes.js';
import { verdictGate } from '../../verdict/evaluator.js';
import { refs } from '../findings.js';
import { CountedRows, type DiagnoseInput, type Diagnosis } from './common.js';

export function failuresMatch(input: DiagnoseInput, s: number): Diagnosis[] {
  const { plan, spec, connections: ct, verdicts: vt } = input;
  const deniedCode = (i: number) => {
    const f = vt.forwardCode(s, i);
    if (f < 0) return f;
    const r = vt.returnCode(s, i);
    return r < 0 ? r : 0;
  };
  // One pass: each row is one connection, so "failed and denied" is a test on the row itself.
  let failed = 0;
  let matched = 0;
  // Matched failures per deciding code, in the order each code first matched.
  const byCode = new Map<number, number>();
  const unexplained = new CountedRows();
  const wouldBreak = new CountedRows();
  let denied = 0;
  for (let i = 0; i < ct.count; i++) {
    const a = ct.attempt[i]!;
    const isFailed = a === Attempt.UNANSWERED || a === Attempt.SYNACK_UNACKED;
    const proto = ct.proto[i]!;
    const code = proto === 6 || proto === 17 ? deniedCode(i) : 0;
    const isDenied = code !== 0;
    if (isDenied) denied++;
    if (isFailed) {
      failed++;
      if (isDenied) {
        matched++;
        byCode.set(code, (byCode.get(code) ?? 0) + 1);
      } else unexplained.add(i);
    } else if (isDenied && a === Attempt.COMPLETED) wouldBreak.add(i);
  }
  if (failed === 0 || matched === 0) return [];
  const byLabel = new Map<string, { acl: string; direction: 'inbound' | 'outbound'; rule: number | '*' | null; connections: number }>();
  for (const [code, n] of byCode) {
    const gate = gateInfo(plan, spec, verdictGate(code));
    const rule = ruleOf(plan, spec, code);
    const label = { acl: gate.acl.id, direction: gate.direction, rule: rule?.ruleNumber ?? null };
    const key = JSON.stringify(label);
    const e = byLabel.get(key) ?? { ...label, connections: 0 };
    e.connections += n;
    byLabel.set(key, e);
  }
  const rules = [...byLabel.values()].map((l) => ({
    ...l,
    words: `${l.direction === 'outbound' ? 'egress' : 'ingress'} ${l.rule === '*' ? '*' : `rule ${l.rule}`}${plan.scenarios[s]!.placements.length > 1 ? ` of ${l.acl}` : ''}`,
  }));
  const exact = unexplained.count === 0 && matched === denied;
  const main = rules.sort((a, b) => b.connections - a.connections)[0]!;
  const ruleText = rules.map((r) => `${r.words}: ${r.connections}`).join('; ');
  const name = plan.scenarios[s]!.name;
  return [
    {
      code: 'FAILURES_MATCH_RULE',
      severity: 'info',
      scenario: name,
      acl: main.acl,
      direction: main.direction,
      rule: main.rule,
      failedInCapture: failed,
      denied,
      matched,
      exact,
      rules,
      unexplained: refs(ct, unexplained.rows),
      wouldBreak: wouldBreak.count,
      wouldBreakExamples: refs(ct, wouldBreak.rows),
      message: exact
        ? `the ${failed} connections that failed in the capture are exactly those ${name} denies (${ruleText})`
        : `${matched} of the ${failed} connections that failed in the capture are denied by ${name} (${ruleText})` +
          (unexplained.count ? `; ${unexplained.count} failed for another reason` : '') +
          (wouldBreak.count ? `; it would also break ${wouldBreak.count} connection${wouldBreak.count === 1 ? '' : 's'} that worked` : ''),
    },
  ];
}
