/** NOT_CROSSING_SUBNET: connections the ACL never sees (with subnet suggestions when none cross). */
import { formatCidr } from '../../acl/model.js';
import { OutcomeCode } from '../../verdict/outcomes.js';
import { refs } from '../findings.js';
import { suggestSubnets } from '../subnets.js';
import { CountedRows, round3, type DiagnoseInput, type Diagnosis } from './common.js';

export function notCrossing(input: DiagnoseInput, s: number): Diagnosis | null {
  const { connections: ct, verdicts: vt } = input;
  const n = ct.count;
  const na = new CountedRows();
  for (let i = 0; i < n; i++) if (vt.outcome[s * n + i] === OutcomeCode.NOT_APPLICABLE) na.add(i);
  if (na.count === 0) return null;
  const sc = input.plan.scenarios[s]!;
  const subnets = sc.placements.flatMap((p) => p.subnets.map(formatCidr));
  const all = na.count === n;
  const suggestions = all ? suggestSubnets(ct) : [];
  return {
    code: 'NOT_CROSSING_SUBNET',
    severity: all ? 'error' : 'info',
    scenario: sc.name,
    acl: null,
    direction: null,
    rule: null,
    connections: na.count,
    share: round3(na.count / Math.max(1, n)),
    subnets,
    suggestions,
    message: all
      ? `no connection crosses ${subnets.join(', ')}: the ACL never applies. Busiest servers' networks: ${suggestions.join(', ') || '(none)'}`
      : `${na.count} of ${n} connections do not cross ${subnets.join(', ')} (traffic within a subnet or between other hosts): the ACL does not judge them`,
    examples: refs(ct, na.rows),
  };
}
