/** Renders replay results: a summary per candidate for people, JSON, JSON lines per connection, Zeek-style TSV. */
import type { ReplayResult, ScenarioReport } from '../replay/run.js';
import type { ConnectionVerdict, DirectionVerdict } from '../replay/outcomes.js';
import type { Diagnosis } from '../replay/diagnose.js';
import { table, tsvHeader, lineChunks, count } from './text.js';
import { endpoint, type Format } from './flows.js';

/** The per-direction object of a jsonl record. */
function directionRecord(d: DirectionVerdict): Record<string, unknown> {
  return { direction: d.direction, acl: d.acl, rule: d.rule, action: d.action, packets: d.packets, allowed: d.allowed, denied: d.denied, synthetic: d.synthetic };
}

/** One connection under one scenario (`replay -F jsonl`; field names are the CLI contract). */
export function verdictRecord(scenario: string, v: ConnectionVerdict): Record<string, unknown> {
  const c = v.connection;
  return {
    acl: scenario,
    id: c.id,
    proto: c.proto,
    client: c.client,
    clientPort: c.clientPort,
    server: c.server,
    serverPort: c.serverPort,
    outcome: v.outcome,
    forward: directionRecord(v.forward),
    return: directionRecord(v.return),
    state: c.state,
    attempt: c.attempt,
    packets: c.packets,
    firstTs: c.firstTs,
  };
}

const TSV_FIELDS = ['acl', 'id', 'proto', 'client', 'clientPort', 'server', 'serverPort', 'outcome', 'forward.direction', 'forward.rule', 'forward.action', 'return.direction', 'return.rule', 'return.action', 'return.synthetic', 'state', 'attempt'];
const TSV_TYPES = ['string', 'count', 'string', 'addr', 'port', 'addr', 'port', 'string', 'string', 'string', 'string', 'string', 'string', 'string', 'bool', 'string', 'string'];

function tsvValue(v: unknown): string {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'boolean') return v ? 'T' : 'F';
  return String(v);
}

export function* renderReplay(r: ReplayResult, format: Format): Generator<string> {
  const rep = r.report;
  if (format === 'json') {
    yield JSON.stringify(rep, null, 2) + '\n';
    return;
  }
  const all: [string, ConnectionVerdict][] = [];
  rep.acls.forEach((a, s) => {
    for (const v of r.verdicts[s]!) all.push([a.acl, v]);
  });
  if (format === 'jsonl') {
    yield* lineChunks(all.length, (i) => JSON.stringify(verdictRecord(all[i]![0], all[i]![1])));
    return;
  }
  if (format === 'tsv') {
    yield tsvHeader('replay', TSV_FIELDS, TSV_TYPES);
    yield* lineChunks(all.length, (i) => {
      const rec = verdictRecord(all[i]![0], all[i]![1]) as Record<string, unknown> & { forward: Record<string, unknown>; return: Record<string, unknown> };
      return TSV_FIELDS.map((f) => {
        const [a, b] = f.split('.');
        return tsvValue(b ? (rec[a!] as Record<string, unknown>)[b] : rec[a!]);
      }).join('\t');
    });
    return;
  }
  yield `${rep.file}: ${count(rep.packets)} packets, ${count(rep.connections)} connections${rep.topology ? `, topology ${rep.topology}` : ''}\n`;
  for (let s = 0; s < rep.acls.length; s++) yield '\n' + scenarioText(rep.acls[s]!, r.verdicts[s]!);
}

function ruleRef(d: DirectionVerdict): string {
  if (d.action === null) return 'not applicable';
  return `${d.direction === 'outbound' ? 'egress' : 'ingress'} ${d.rule === '*' ? '*' : `rule ${d.rule}`} ${d.action}${d.synthetic ? ' (reply not in capture: judged on a synthetic one)' : ''}`;
}

function scenarioText(a: ScenarioReport, verdicts: ConnectionVerdict[]): string {
  let out = `== ${a.acl} on ${a.subnets.join(', ')}\n`;
  const o = a.outcomes;
  out += `connections: ok ${o.ok}, forward-blocked ${o['forward-blocked']}, return-blocked ${o['return-blocked']}, both-blocked ${o['both-blocked']}, not-applicable ${o['not-applicable']}\n`;
  out += `packets: inbound ${a.packets.inbound.allow} allowed / ${a.packets.inbound.deny} denied, outbound ${a.packets.outbound.allow} allowed / ${a.packets.outbound.deny} denied, ${a.packets.notApplicable} not crossing${a.packets.unknownFragments ? `, ${a.packets.unknownFragments} fragments of unknown datagrams` : ''}\n\n`;
  out += table(
    ['acl', 'dir', 'rule', 'action', 'proto', 'ports', 'cidr', 'hits'],
    a.rules.map((r) => [r.acl, r.direction === 'inbound' ? 'in' : 'out', r.number, r.action, r.protocol, r.ports, r.cidr, r.hits === 0 ? 'never hit' : r.hits]),
  );
  const bad = verdicts.filter((v) => v.outcome !== 'ok' && v.outcome !== 'not-applicable');
  if (bad.length) {
    out += `\nblocked connections (${bad.length}${bad.length > 15 ? ', first 15' : ''}):\n`;
    out += table(
      ['outcome', 'proto', 'client', 'server', 'forward', 'return'],
      bad.slice(0, 15).map((v) => [v.outcome, v.connection.proto, endpoint(v.connection.client, v.connection.clientPort), endpoint(v.connection.server, v.connection.serverPort), ruleRef(v.forward), ruleRef(v.return)]),
    );
  }
  if (a.diagnoses.length) out += '\n' + a.diagnoses.map(diagnosisText).join('\n');
  return out;
}

export function diagnosisText(d: Diagnosis): string {
  let t = `${d.code} (${d.severity}): ${d.message}\n`;
  const fix = d.fix as { command: string | null; note: string; verified: boolean } | undefined;
  if (fix) t += `  fix: ${fix.note}${fix.verified ? ' (verified by replaying)' : ''}\n${fix.command ? `    ${fix.command}\n` : ''}`;
  const clients = d.clients as { host: string; profile: string; notAllowedShare: number; notAllowed: string }[] | undefined;
  if (Array.isArray(clients)) for (const c of clients.slice(0, 8)) t += `  client ${c.host} (${c.profile}): ${Math.round(c.notAllowedShare * 100)}% of its range not allowed (${c.notAllowed})\n`;
  return t;
}
