/**
 * RETURN_PORT_NOT_ALLOWED: return packets to clients' ephemeral ports are denied, per deciding rule, protocol and
 * family. Each carries (or names, by fixId) the fix of its gate, protocol and family, which covers every client seen
 * using that protocol through that gate, not only the ones that failed.
 */
import { protoName } from '../../flow/connections.js';
import { gateInfo, ruleOf } from '../../verdict/outcomes.js';
import { verdictGate } from '../../verdict/evaluator.js';
import { refs } from '../findings.js';
import { KeyIndex } from '../../flow/keyindex.js';
import { groupRows, splitRows } from '../../typed.js';
import { planFixes, gateFixKey } from '../fix.js';
import { capitalize, coverageOf, groupBy, maxOf, pct, ruleWords, type AffectedClient, type DiagnoseInput, type Diagnosis } from './common.js';
import { affectedClient, coverageIndex } from './clients.js';

/** Affected clients listed per diagnosis (the count is always complete). */
const LISTED = 50;

export function returnNotAllowed(input: DiagnoseInput, s: number): Diagnosis[] {
  const { plan, spec, connections: ct, verdicts: vt } = input;
  // Denied returns of TCP and UDP connections, grouped by deciding code, protocol and family.
  const keys = new KeyIndex(64);
  const groupOf = new Int32Array(ct.count).fill(-1);
  for (let i = 0; i < ct.count; i++) {
    const proto = ct.proto[i]!;
    if (proto !== 6 && proto !== 17) continue;
    const code = vt.returnCode(s, i);
    if (code >= 0) continue;
    groupOf[i] = keys.intern(code >>> 0, proto, ct.family[i]!, 0);
  }
  if (keys.count === 0) return [];
  const groups = groupRows(groupOf, keys.count);
  const cov = coverageIndex(coverageOf(input, s).clients);
  const fixes = planFixes(input, s);
  const attached = new Set<string>();
  const out: Diagnosis[] = [];
  const slots = new Int32Array(ct.addresses.count).fill(-1);
  const clientOf = (i: number) => ct.client[i]!;
  for (let g = 0; g < groups.count; g++) {
    const group = groups.rows.subarray(groups.start[g]!, groups.start[g + 1]!);
    const first = group[0]!;
    const code = vt.returnCode(s, first);
    const gateIndex = verdictGate(code);
    const gate = gateInfo(plan, spec, gateIndex);
    const rule = ruleOf(plan, spec, code);
    const proto = ct.proto[first]!;
    const family = ct.family[first] as 4 | 6;
    const protocol = protoName(proto);
    const clients: AffectedClient[] = [];
    let clientCount = 0;
    const byClient = splitRows(group, clientOf, slots);
    for (let p = 0; p < byClient.count; p++) {
      const rows = byClient.rows.subarray(byClient.start[p]!, byClient.start[p + 1]!);
      clientCount++;
      if (clients.length >= LISTED) continue;
      const cc = cov.get(byClient.keys[p]! * 2 + (proto === 17 ? 1 : 0));
      if (!cc) continue;
      const at = cc.gates.filter((g) => g.gate === gateIndex);
      let lo = 65535;
      let hi = 0;
      for (const i of rows) {
        const port = ct.clientPort[i]!;
        if (port < lo) lo = port;
        if (port > hi) hi = port;
      }
      // The connections and ports of the denied returns; shares are those of the client's whole range.
      clients.push({ ...affectedClient(input.clients, cc, at), connections: rows.length, ports: [lo, hi] });
    }
    const profileText = [...groupBy(clients, (c) => c.profile)]
      .map(([name, cs]) => `${name} clients (${cs.length}, ${cs[0]!.range[0]}-${cs[0]!.range[1]}): ${pct(maxOf(cs, (c) => c.notAllowedShare))} of the range not allowed`)
      .join('; ');
    const key = gateFixKey(spec, gateIndex, family, proto);
    const fix = fixes.get(key) ?? null;
    const carries = fix !== null && !attached.has(key);
    if (carries) attached.add(key);
    let synthetic = 0;
    for (const i of group) if (vt.synthetic(s, i, false)) synthetic++;
    out.push({
      code: 'RETURN_PORT_NOT_ALLOWED',
      severity: 'error',
      scenario: plan.scenarios[s]!.name,
      acl: gate.acl.id,
      direction: gate.direction,
      rule: rule?.ruleNumber ?? null,
      protocol,
      family,
      connections: group.length,
      synthetic,
      clientCount,
      clients,
      message:
        `${capitalize(ruleWords(gate.direction, rule, gate.acl.id))} denies return ${protocol} traffic to the ephemeral ports of ${group.length} connection${group.length === 1 ? '' : 's'} from ${clientCount} client${clientCount === 1 ? '' : 's'}: ${profileText}` +
        (clientCount > clients.length ? ` (the first ${clients.length} clients listed)` : ''),
      fix: carries ? fix : null,
      fixId: fix?.id ?? null,
      examples: refs(ct, group),
    });
  }
  return out;
}
