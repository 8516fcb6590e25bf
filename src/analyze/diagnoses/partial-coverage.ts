/** RANGE_PARTIALLY_COVERED: every connection worked, but the clients' inferred ranges are only partly allowed back. */
import { PORT_PROFILES, formatRanges } from '../../profiles.js';
import { PROFILE_CODES } from '../../flow/clients.js';
import { gateInfo } from '../../verdict/outcomes.js';
import { verdictGate } from '../../verdict/evaluator.js';
import { maxOf, notAllowedIn, pct, portMaps, round3, type AffectedClient, type DiagnoseInput, type Diagnosis } from './common.js';

export function partiallyCovered(input: DiagnoseInput, s: number): Diagnosis[] {
  const { plan, spec, connections: ct, verdicts: vt, clients: t } = input;
  const blocked = new Uint8Array(ct.addresses.count);
  for (let i = 0; i < ct.count; i++) if (vt.returnCode(s, i) < 0) blocked[ct.client[i]!] = 1;
  // The first 200 clients whose returns all got through, with their connections.
  const byClient = new Map<number, number[]>();
  for (let i = 0; i < ct.count; i++) {
    const a = ct.client[i]!;
    if (vt.returnCode(s, i) <= 0 || !ct.ported(i) || blocked[a]) continue;
    const rows = byClient.get(a);
    if (rows) rows.push(i);
    else if (byClient.size < 200) byClient.set(a, [i]);
  }
  const findings = new Map<number, { gate: number; profile: string; clients: AffectedClient[] }>();
  for (const rows of byClient.values()) {
    const i = rows[0]!;
    const c = t.ofConnection(i);
    if (c < 0 || PROFILE_CODES[t.profile[c]!] === 'unknown') continue;
    const range: [number, number] = [t.rangeLo[c]!, t.rangeHi[c]!];
    const allowed = portMaps(input).get(s, ct.server[i]!, ct.client[i]!, ct.proto[i]!, ct.serverPort[i]!);
    const { missing, share } = notAllowedIn(allowed, range);
    if (share === 0) continue;
    const gate = verdictGate(vt.returnCode(s, i));
    const key = gate * 256 + t.profile[c]!;
    const profile = t.profileName(c);
    const f = findings.get(key) ?? { gate, profile, clients: [] };
    f.clients.push({ host: t.host(c), profile, range, confidence: t.confidence[c]!, connections: rows.length, ports: [t.minPort[c]!, t.maxPort[c]!], notAllowedShare: round3(share), notAllowed: formatRanges(missing) });
    findings.set(key, f);
  }
  return [...findings.values()].map((f) => {
    const g = gateInfo(plan, spec, f.gate);
    const worst = maxOf(f.clients, (c) => c.notAllowedShare);
    const prof = PORT_PROFILES.find((x) => x.name === f.profile);
    return {
      code: 'RANGE_PARTIALLY_COVERED' as const,
      severity: 'warning' as const,
      scenario: plan.scenarios[s]!.name,
      acl: g.acl.id,
      direction: g.direction,
      rule: null,
      profile: f.profile,
      failureProbability: worst,
      clients: f.clients,
      message: `${prof?.description ?? f.profile} clients (${f.clients.length}, profile confidence ${maxOf(f.clients, (c) => c.confidence).toFixed(2)}): every connection in the capture worked, but ${g.direction === 'outbound' ? 'egress' : 'ingress'} of ${g.acl.id} does not allow ${f.clients[0]!.notAllowed} of their ${f.clients[0]!.range[0]}-${f.clients[0]!.range[1]} range: ${pct(worst)} of new connections will hang`,
    };
  });
}
