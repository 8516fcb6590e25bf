/**
 * The capture-only diagnosis page (`diagnose --html`): no ACL, so the strips show client ports by how each
 * connection attempt ended, with the profile bands and, for a suspected return drop, the port that separates
 * failures from successes.
 */
import { html, count, type Html } from './escape.js';
import { page } from './page.js';
import { renderPortStrip, type StripLane, type StripMarker, type StripRow } from './portstrip.js';
import { captureFindingsList, clientsTable } from './cards.js';
import type { Tone } from './palette.js';
import { Attempt, type ConnectionTable } from '../../flow/connections.js';
import type { ClientTable } from '../../flow/clients.js';
import type { CaptureFinding } from '../../analyze/findings.js';
import { hostOf, profileBands } from '../../analyze/strips.js';
import type { DiagnoseView } from '../../analyze/views.js';
import { isoTime } from '../text.js';

const ATTEMPT_LANES: { tone: Tone; label: string; attempts: number[] }[] = [
  { tone: 'ok', label: 'completed', attempts: [Attempt.COMPLETED] },
  { tone: 'failed', label: 'no answer', attempts: [Attempt.UNANSWERED, Attempt.SYNACK_UNACKED] },
  { tone: 'rejected', label: 'rejected', attempts: [Attempt.REJECTED] },
  { tone: 'not-applicable', label: 'partial', attempts: [Attempt.PARTIAL] },
];

/** Lanes of client ports of the rows, one per way an attempt ended. */
export function attemptLanes(ct: ConnectionTable, rows: readonly number[]): StripLane[] {
  return ATTEMPT_LANES.flatMap((l) => {
    const ports: number[] = [];
    for (const i of rows) if (l.attempts.includes(ct.attempt[i]!)) ports.push(ct.clientPort[i]!);
    return ports.length ? [{ tone: l.tone, label: l.label, ports, noun: 'connections', what: 'client ports' }] : [];
  });
}

function stripRows(ct: ConnectionTable, rows: readonly number[]): StripRow[] {
  return ([6, 17] as const).flatMap((proto) => {
    const list = rows.filter((i) => ct.proto[i] === proto);
    return list.length ? [{ label: proto === 6 ? 'TCP' : 'UDP', segments: null, lanes: attemptLanes(ct, list) }] : [];
  });
}

function strip(label: string, ct: ConnectionTable, rows: readonly number[], clients: ClientTable, markers: StripMarker[], data: [string, string][]): Html {
  return renderPortStrip({ label, data, bands: profileBands(clients, []), rows: stripRows(ct, rows), markers });
}

function findingFigure(f: CaptureFinding, ct: ConnectionTable, clients: ClientTable, i: number): Html {
  const h = hostOf(f.server);
  const server = h ? ct.addresses.find(h.family, h.words[0], h.words[1], h.words[2], h.words[3]) : -1;
  const proto = f.proto === 'tcp' ? 6 : 17;
  const service: number[] = [];
  for (let r = 0; r < ct.count; r++) if (ct.server[r] === server && ct.proto[r] === proto && ct.serverPort[r] === f.serverPort) service.push(r);
  const markers: StripMarker[] =
    f.code === 'RETURN_DROP_SUSPECTED'
      ? [{ port: f.threshold.port, label: `failures ${f.threshold.side} ${f.threshold.port}`, title: `attempts from client ports ${f.threshold.side} ${f.threshold.port} fail (between ${f.threshold.between[0]} and ${f.threshold.between[1]}); ${f.exceptions} exceptions` }]
      : [];
  return html`<figure class="strip" data-finding="${String(i)}">${strip(`${f.proto}/${f.serverPort ?? '-'} on ${f.server}: client ports by how the attempt ended`, ct, service, clients, markers, [['finding', f.code]])}<figcaption>Client ports of the ${count(service.length)} connections to ${f.proto}/${f.serverPort ?? '-'} on ${f.server}, by how the attempt ended.</figcaption></figure>`;
}

/** `diagnose --html`: capture-only findings with pictures of the client ports. */
export function renderDiagnoseHtml(input: DiagnoseView): string {
  const { summary, connections: ct, clients, findings } = input;
  const span = summary.firstTs !== null && summary.lastTs !== null ? `${isoTime(summary.firstTs)} – ${isoTime(summary.lastTs)} (${summary.duration.toFixed(1)} s)` : 'no timestamps';
  let failed = 0;
  const ported: number[] = [];
  for (let i = 0; i < ct.count; i++) {
    const a = ct.attempt[i]!;
    if (a === Attempt.UNANSWERED || a === Attempt.SYNACK_UNACKED) failed++;
    if (ct.ported(i)) ported.push(i);
  }
  const body = html`<header><h1>Capture diagnosis</h1>
<p class="subtitle">${summary.format === 'vpc-flow-logs' ? 'Flow logs' : 'Capture'} <b class="mono" data-field="capture-file">${summary.file}</b>: connection attempts that failed, without any ACL</p>
<dl class="facts"><dt>packets</dt><dd>${count(summary.packets)}</dd><dt>connections</dt><dd>${count(ct.count)}</dd><dt>no answer</dt><dd>${count(failed)}</dd><dt>time span</dt><dd>${span}</dd></dl></header>
<section id="findings"><h2>Findings</h2>
${findings.length ? captureFindingsList(findings, 10, (f, i) => findingFigure(f, ct, clients, i)) : html`<p class="none">No failed connection attempt looks like dropped return traffic.</p>`}
</section>
<section id="all-ports"><h2>All client ports</h2>
<figure class="strip">${strip('client ports of every connection by how the attempt ended', ct, ported, clients, [], [['scope', 'all']])}<figcaption>Every TCP and UDP connection of the capture at its client (ephemeral) port. A return rule that starts too high shows as “no answer” below a port and “completed” above it.</figcaption></figure>
</section>
<section id="clients"><h2>Clients and their port ranges</h2>${clientsTable(clients)}</section>`;
  return page(`aclreplay diagnose: ${summary.file}`, body).text;
}
