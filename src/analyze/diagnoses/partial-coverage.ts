/**
 * RANGE_PARTIALLY_COVERED, per client, protocol and gate: every reply the capture shows through that gate for that
 * client and protocol got through, but the gate denies part of the client's inferred range, so some of its next
 * connections will fail (failureProbability, under the client's port model, and whether those failures come in
 * runs). A client blocked on one protocol is still checked on the others. Clients whose profile is a guess
 * (confidence below GUESS_CONFIDENCE) get an info, not a warning. Above MAX_SINGLE findings, clients in the same
 * situation (gate, protocol, profile, range, port model and denied ports) share one diagnosis, which says so.
 */
import { PORT_PROFILES, percent } from '../../profiles.js';
import { protoName } from '../../flow/connections.js';
import { gateInfo } from '../../verdict/outcomes.js';
import { planFixes, gateFixKey } from '../fix.js';
import { coverageOf, maxOf, type AffectedClient, type DiagnoseInput, type Diagnosis } from './common.js';
import { affectedClient, guessWords, patternWords, GUESS_CONFIDENCE } from './clients.js';
import type { ClientCoverage, GateCoverage } from '../coverage.js';

/** One diagnosis per client, protocol and gate up to this many; beyond, clients in the same situation are merged. */
export const MAX_SINGLE = 100;
/** Clients listed in a merged diagnosis (the count is always complete). */
const LISTED = 20;

interface Finding {
  cc: ClientCoverage;
  gc: GateCoverage;
  client: AffectedClient;
  severity: 'warning' | 'info';
  key: string;
}

export function partiallyCovered(input: DiagnoseInput, s: number): Diagnosis[] {
  const { plan, spec, clients: t } = input;
  const cov = coverageOf(input, s);
  const findings: Finding[] = [];
  // Gates, protocols and families with a RETURN_PORT_NOT_ALLOWED: their fix is carried there.
  const blockedKeys = new Set<string>();
  for (const cc of cov.clients) {
    for (const gc of cc.gates) {
      if (gc.deniedReturns > 0) {
        blockedKeys.add(gateFixKey(spec, gc.gate, cc.family, cc.proto));
        continue;
      }
      if (gc.failureProbability <= 0) continue;
      const client = affectedClient(t, cc, [gc]);
      const severity = t.confidence[cc.client]! >= GUESS_CONFIDENCE ? 'warning' : 'info';
      const key = [gc.gate, cc.proto, client.profile, client.range.join('-'), client.portModel, client.failurePattern, client.notAllowed, severity].join('|');
      findings.push({ cc, gc, client, severity, key });
    }
  }
  if (findings.length === 0) return [];
  const fixes = planFixes(input, s);
  const attached = new Set<string>(blockedKeys);
  const merge = findings.length > MAX_SINGLE;
  const groups = new Map<string, Finding[]>();
  for (const f of findings) {
    const k = merge ? f.key : `${f.cc.address}|${f.cc.proto}|${f.gc.gate}`;
    const g = groups.get(k);
    if (g) g.push(f);
    else groups.set(k, [f]);
  }
  const out: Diagnosis[] = [];
  for (const group of groups.values()) {
    const f = group[0]!;
    const { cc, gc } = f;
    const g = gateInfo(plan, spec, gc.gate);
    const protocol = protoName(cc.proto);
    const fixKeyOf = gateFixKey(spec, gc.gate, cc.family, cc.proto);
    const fix = fixes.get(fixKeyOf) ?? null;
    const carries = fix !== null && fix.changes.length > 0 && !attached.has(fixKeyOf);
    if (carries) attached.add(fixKeyOf);
    const worst = maxOf(group, (x) => x.client.failureProbability);
    const prof = PORT_PROFILES.find((x) => x.name === f.client.profile);
    const dir = g.direction === 'outbound' ? 'egress' : 'ingress';
    const guess = guessWords(t, cc.client);
    const inForce = gc.inForce.length ? ` (explicit denies refuse ${gc.inForce.map((x) => x.ranges.map(([a, b]) => (a === b ? a : `${a}-${b}`)).join(', ')).join(', ')})` : '';
    const who = group.length === 1 ? `${f.client.host} (${prof?.description ?? f.client.profile}, profile confidence ${f.client.confidence.toFixed(2)})` : `${group.length} ${prof?.description ?? f.client.profile} clients`;
    const message =
      `${who}: every ${protocol} reply to ${group.length === 1 ? 'it' : 'them'} in the capture got through ${dir} of ${g.acl.id}, but it does not allow ${f.client.notAllowed} of the ${f.client.range[0]}-${f.client.range[1]} range${inForce}: ` +
      `${percent(worst)} of new ${protocol} connections would fail (${patternWords(cc, protocol)})` +
      (guess ? `; ${guess}` : '');
    out.push({
      code: 'RANGE_PARTIALLY_COVERED',
      severity: f.severity,
      scenario: plan.scenarios[s]!.name,
      acl: g.acl.id,
      direction: g.direction,
      rule: null,
      protocol,
      family: cc.family,
      profile: f.client.profile,
      failureProbability: worst,
      failurePattern: f.client.failurePattern,
      portModel: f.client.portModel,
      clientCount: group.length,
      clients: group.slice(0, LISTED).map((x) => x.client),
      aggregated: merge ? `${findings.length} client, protocol and gate findings: clients with the same gate, protocol, profile, range, port model and denied ports share one diagnosis${group.length > LISTED ? `; the first ${LISTED} of ${group.length} are listed` : ''}` : null,
      message,
      fix: carries ? fix : null,
      fixId: fix && fix.changes.length > 0 ? fix.id : null,
    });
  }
  return out.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'warning' ? -1 : 1));
}
