/** ICMP_NEEDED: ICMP fragmentation-needed / ICMPv6 packet-too-big denied, so path MTU discovery breaks. */
import { ConnBit } from '../../flow/connections.js';
import { gateInfo, ruleOf } from '../../verdict/outcomes.js';
import { verdictGate } from '../../verdict/evaluator.js';
import { refs } from '../findings.js';
import { capitalize, ruleWords, type DiagnoseInput, type Diagnosis } from './common.js';

export function icmpNeeded(input: DiagnoseInput, s: number): Diagnosis[] {
  const { plan, spec, connections: ct, verdicts: vt } = input;
  const groups = new Map<number, number[]>();
  for (let i = 0; i < ct.count; i++) {
    if (!(ct.bits[i]! & ConnBit.ICMP_MESSAGE)) continue;
    const proto = ct.proto[i]!;
    const isPtb = (proto === 1 && ct.icmpType[i] === 3 && ct.icmpCode[i] === 4) || (proto === 58 && ct.icmpType[i] === 2);
    if (!isPtb) continue;
    const f = vt.forwardCode(s, i);
    const r = vt.returnCode(s, i);
    if (f >= 0 && r >= 0) continue;
    const code = f < 0 ? f : r;
    const g = groups.get(code);
    if (g) g.push(i);
    else groups.set(code, [i]);
  }
  return [...groups].map(([code, g]) => {
    const gate = gateInfo(plan, spec, verdictGate(code));
    const rule = ruleOf(plan, spec, code);
    return {
      code: 'ICMP_NEEDED' as const,
      severity: 'error' as const,
      scenario: plan.scenarios[s]!.name,
      acl: gate.acl.id,
      direction: gate.direction,
      rule: rule?.ruleNumber ?? null,
      messages: g.length,
      message: `${capitalize(ruleWords(gate.direction, rule, gate.acl.id))} denies ${g.length} ICMP fragmentation-needed / packet-too-big message${g.length === 1 ? '' : 's'}: path MTU discovery breaks and large transfers hang (RFC 1191, RFC 8201); allow ICMP type 3 code 4 (ICMPv6 type 2)`,
      examples: refs(ct, g),
    };
  });
}
