/** Renders replay results: a summary per candidate for people, JSON, JSON lines per connection, Zeek-style TSV. */
import type { ReplayResult, ScenarioReport } from '../analyze/replay.js';
import { OutcomeCode, type DirectionVerdict } from '../verdict/outcomes.js';
import { ATTEMPTS, protoName } from '../flow/connections.js';
import { CONN_STATES } from '../flow/state.js';
import { mirrorFields } from './sessions.js';
import type { Format } from './format.js';
import { diagnosisText } from './diagnoses.js';
import { loggedRecord } from './logged.js';
import { table, tsvHeader, tsvText, lineChunks, count, endpoint, terminalLine, terminalText } from './text.js';
import { jsonText } from '../text/json.js';

/** The per-direction object of a jsonl record. */
function directionRecord(d: DirectionVerdict): Record<string, unknown> {
  return { direction: d.direction, acl: d.acl, rule: d.rule, action: d.action, packets: d.packets, allowed: d.allowed, denied: d.denied, synthetic: d.synthetic };
}

/** Connection `i` under scenario s (`replay -F jsonl`; field names are the CLI contract): an object only while it is printed. */
export function verdictRecord(r: ReplayResult, s: number, i: number): Record<string, unknown> {
  const ct = r.connections;
  const vt = r.verdicts;
  const ported = ct.ported(i);
  return {
    acl: r.report.acls[s]!.acl,
    id: i,
    proto: protoName(ct.proto[i]!),
    client: ct.addresses.text(ct.client[i]!),
    clientPort: ported ? ct.clientPort[i]! : null,
    server: ct.addresses.text(ct.server[i]!),
    serverPort: ported ? ct.serverPort[i]! : null,
    outcome: vt.outcomeOf(s, i),
    forward: directionRecord(vt.direction(s, i, true)),
    return: directionRecord(vt.direction(s, i, false)),
    state: CONN_STATES[ct.state[i]!],
    attempt: ATTEMPTS[ct.attempt[i]!],
    packets: ct.clientPackets[i]! + ct.serverPackets[i]!,
    firstTs: ct.firstTs[i]!,
    ...mirrorFields(ct, i),
    ...(ct.logs ? { logged: loggedRecord(ct, i) } : {}),
  };
}

const TSV_FIELDS = ['acl', 'id', 'proto', 'client', 'clientPort', 'server', 'serverPort', 'outcome', 'forward.direction', 'forward.rule', 'forward.action', 'return.direction', 'return.rule', 'return.action', 'return.synthetic', 'state', 'attempt'];
const TSV_TYPES = ['string', 'count', 'string', 'addr', 'port', 'addr', 'port', 'string', 'string', 'string', 'string', 'string', 'string', 'string', 'bool', 'string', 'string'];

function tsvValue(v: unknown): string {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'boolean') return v ? 'T' : 'F';
  if (typeof v === 'string') return v === '' ? '(empty)' : tsvText(v);
  return String(v);
}

export function* renderReplay(r: ReplayResult, format: Format): Generator<string> {
  const rep = r.report;
  if (format === 'json') {
    yield jsonText(rep, 2) + '\n';
    return;
  }
  // Row k of the output: scenario floor(k / n), connection k % n; streamed, never collected.
  const n = r.connections.count;
  const total = n * rep.acls.length;
  if (format === 'jsonl') {
    yield* lineChunks(total, (k) => jsonText(verdictRecord(r, Math.floor(k / n), k % n)));
    return;
  }
  if (format === 'tsv') {
    yield tsvHeader('replay', TSV_FIELDS, TSV_TYPES);
    yield* lineChunks(total, (k) => {
      const rec = verdictRecord(r, Math.floor(k / n), k % n) as Record<string, unknown> & { forward: Record<string, unknown>; return: Record<string, unknown> };
      return TSV_FIELDS.map((f) => {
        const [a, b] = f.split('.');
        return tsvValue(b ? (rec[a!] as Record<string, unknown>)[b] : rec[a!]);
      }).join('\t');
    });
    return;
  }
  yield `${terminalLine(rep.file)}: ${rep.records !== undefined ? `${count(rep.records)} flow-log records, ` : ''}${count(rep.packets)} packets, ${count(rep.connections)} connections${rep.topology ? `, topology ${terminalLine(rep.topology)}` : ''}\n`;
  if (rep.mirror) yield terminalLine(`note: ${rep.mirror.note} (sessions ${rep.mirror.sessions.join(', ')}${rep.mirror.duplicatesDropped ? `; ${count(rep.mirror.duplicatesDropped)} copies from a second session counted once` : ''})`) + '\n';
  for (let s = 0; s < rep.acls.length; s++) yield '\n' + terminalText(scenarioText(r, s));
}

function ruleRef(d: DirectionVerdict, logged = false): string {
  if (d.action === null) return 'not applicable';
  return `${d.direction === 'outbound' ? 'egress' : 'ingress'} ${d.rule === '*' ? '*' : `rule ${d.rule}`} ${d.action}${d.synthetic ? (logged ? ' (not logged: judged on a synthetic packet)' : ' (reply not in capture: judged on a synthetic one)') : ''}`;
}

function scenarioText(r: ReplayResult, s: number): string {
  const a: ScenarioReport = r.report.acls[s]!;
  const ct = r.connections;
  const vt = r.verdicts;
  let out = `== ${terminalLine(a.acl)} on ${terminalLine(a.subnets.join(', '))}\n`;
  const o = a.outcomes;
  out += `connections: ok ${o.ok}, forward-blocked ${o['forward-blocked']}, return-blocked ${o['return-blocked']}, both-blocked ${o['both-blocked']}, not-applicable ${o['not-applicable']}\n`;
  out += `packets: inbound ${a.packets.inbound.allow} allowed / ${a.packets.inbound.deny} denied, outbound ${a.packets.outbound.allow} allowed / ${a.packets.outbound.deny} denied, ${a.packets.notApplicable} not crossing${a.packets.unknownFragments ? `, ${a.packets.unknownFragments} fragments of unknown datagrams` : ''}\n\n`;
  out += table(
    ['acl', 'dir', 'rule', 'action', 'proto', 'ports', 'cidr', 'hits'],
    a.rules.map((r) => [r.acl, r.direction === 'inbound' ? 'in' : 'out', r.number, r.action, r.protocol, r.ports, r.cidr, r.hits === 0 ? 'never hit' : r.hits]),
  );
  const bad: number[] = [];
  let blocked = 0;
  for (let i = 0; i < ct.count; i++) {
    const o = vt.outcome[s * ct.count + i]!;
    if (o === OutcomeCode.OK || o === OutcomeCode.NOT_APPLICABLE) continue;
    if (bad.length < 15) bad.push(i);
    blocked++;
  }
  if (blocked) {
    out += `\nblocked connections (${blocked}${blocked > 15 ? ', first 15' : ''}):\n`;
    out += table(
      ['outcome', 'proto', 'client', 'server', 'forward', 'return'],
      bad.map((i) => {
        const ported = ct.ported(i);
        return [vt.outcomeOf(s, i), protoName(ct.proto[i]!), endpoint(ct.addresses.text(ct.client[i]!), ported ? ct.clientPort[i]! : null), endpoint(ct.addresses.text(ct.server[i]!), ported ? ct.serverPort[i]! : null), ruleRef(vt.direction(s, i, true), ct.logs !== null), ruleRef(vt.direction(s, i, false), ct.logs !== null)];
      }),
    );
  }
  if (a.diagnoses.length) out += '\n' + a.diagnoses.map(diagnosisText).join('\n');
  return out;
}
