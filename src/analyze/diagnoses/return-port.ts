/** RETURN_PORT_NOT_ALLOWED: return packets to clients' ephemeral ports are denied; with the smallest verified fix. */
import { formatRanges } from '../../profiles.js';
import { protoName } from '../../flow/connections.js';
import { PROFILE_CODES } from '../../flow/clients.js';
import { gateInfo, ruleOf } from '../../verdict/outcomes.js';
import { verdictGate } from '../../verdict/evaluator.js';
import { refs } from '../findings.js';
import { proposeFix } from '../fix.js';
import { capitalize, groupBy, maxOf, notAllowedIn, pct, portMaps, round3, ruleWords, type AffectedClient, type DiagnoseInput, type Diagnosis } from './common.js';

/** Profile range to make work for a client: its inferred profile when there is one, else the ports seen. */
function requiredRange(input: DiagnoseInput, client: number, seen: [number, number]): [number, number] {
  const t = input.clients;
  if (client >= 0 && PROFILE_CODES[t.profile[client]!] !== 'unknown' && t.ports[client]! > 0) return [Math.min(t.rangeLo[client]!, seen[0]), Math.max(t.rangeHi[client]!, seen[1])];
  return seen;
}

export function returnNotAllowed(input: DiagnoseInput, s: number): Diagnosis[] {
  const { plan, spec, connections: ct, verdicts: vt } = input;
  // Denied returns of TCP and UDP connections, grouped by deciding code, protocol and family.
  const groups = new Map<number, number[]>();
  for (let i = 0; i < ct.count; i++) {
    const proto = ct.proto[i]!;
    if (proto !== 6 && proto !== 17) continue;
    const code = vt.returnCode(s, i);
    if (code >= 0) continue;
    const key = (code * 256 + proto) * 2 + (ct.family[i] === 6 ? 1 : 0);
    const g = groups.get(key);
    if (g) g.push(i);
    else groups.set(key, [i]);
  }
  const out: Diagnosis[] = [];
  for (const group of groups.values()) {
    const first = group[0]!;
    const code = vt.returnCode(s, first);
    const gate = gateInfo(plan, spec, verdictGate(code));
    const rule = ruleOf(plan, spec, code);
    const proto = ct.proto[first]!;
    const protocol = protoName(proto);
    const clients: AffectedClient[] = [];
    let required: [number, number] | null = null;
    // The fix must cover every affected client's range; the report details the first 50.
    for (const rows of groupBy(group, (i) => ct.client[i]!).values()) {
      let lo = 65535;
      let hi = 0;
      for (const i of rows) {
        const port = ct.clientPort[i]!;
        if (port < lo) lo = port;
        if (port > hi) hi = port;
      }
      const seen: [number, number] = [lo, hi];
      const c = input.clients.ofConnection(rows[0]!);
      const range = requiredRange(input, c, seen);
      required = required ? [Math.min(required[0], range[0]), Math.max(required[1], range[1])] : range;
      if (clients.length >= 50) continue;
      const i = rows[0]!;
      const allowed = portMaps(input).get(s, ct.server[i]!, ct.client[i]!, proto, ct.serverPort[i]!);
      const { missing, share: notAllowed } = notAllowedIn(allowed, range);
      clients.push({
        host: ct.addresses.text(ct.client[i]!),
        profile: c >= 0 ? input.clients.profileName(c) : 'unknown',
        range,
        confidence: c >= 0 ? input.clients.confidence[c]! : 0,
        connections: rows.length,
        ports: seen,
        notAllowedShare: round3(notAllowed),
        notAllowed: formatRanges(missing),
      });
    }
    const profileText = [...groupBy(clients, (c) => c.profile)]
      .map(([name, cs]) => `${name} clients (${cs.length}, ${cs[0]!.range[0]}-${cs[0]!.range[1]}): ${pct(maxOf(cs, (c) => c.notAllowedShare))} of the range not allowed`)
      .join('; ');
    const fix = proposeFix(input, { scenario: s, acl: gate.acl, direction: gate.direction, placement: gate.placement, denyRule: rule, proto, family: ct.family[first] as 4 | 6, required: required!, rows: group });
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
      connections: group.length,
      synthetic,
      clients,
      message: `${capitalize(ruleWords(gate.direction, rule, gate.acl.id))} denies return ${protocol} traffic to the ephemeral ports of ${group.length} connection${group.length === 1 ? '' : 's'} from ${clients.length} client${clients.length === 1 ? '' : 's'}: ${profileText}`,
      fix,
      examples: refs(ct, group),
    });
  }
  return out;
}
