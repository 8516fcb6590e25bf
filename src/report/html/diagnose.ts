/**
 * The capture-only diagnosis page (`diagnose --html`): no ACL, so the strips show client ports by how each
 * connection attempt ended, with the profile bands and, for a suspected return drop, the port that separates
 * failures from successes.
 */
import { html, count, type Html } from './escape.js';
import { page } from './page.js';
import { renderPortStrip, type StripLane, type StripMarker, type StripRow } from './portstrip.js';
import { profileBands } from './replay-strips.js';
import { captureFindingsList, clientsTable } from './cards.js';
import type { Tone } from './palette.js';
import type { Connection, AttemptOutcome } from '../../flow/connections.js';
import type { ClientProfile } from '../../flow/ports.js';
import type { CaptureFinding } from '../../flow/failures.js';
import type { CaptureSummary } from '../../replay/summary.js';
import { isoTime } from '../text.js';

export interface DiagnoseHtmlInput {
  summary: CaptureSummary;
  connections: Connection[];
  clients: ClientProfile[];
  findings: CaptureFinding[];
}

const ATTEMPT_LANES: { tone: Tone; label: string; attempts: AttemptOutcome[] }[] = [
  { tone: 'ok', label: 'completed', attempts: ['completed'] },
  { tone: 'failed', label: 'no answer', attempts: ['unanswered', 'synack-unacked'] },
  { tone: 'rejected', label: 'rejected', attempts: ['rejected'] },
  { tone: 'not-applicable', label: 'partial', attempts: ['partial'] },
];

/** Lanes of client ports, one per way an attempt ended. */
export function attemptLanes(conns: Connection[]): StripLane[] {
  return ATTEMPT_LANES.flatMap((l) => {
    const ports = conns.filter((c) => c.clientPort !== null && l.attempts.includes(c.attempt)).map((c) => c.clientPort!);
    return ports.length ? [{ tone: l.tone, label: l.label, ports, noun: 'connections', what: 'client ports' }] : [];
  });
}

function rows(conns: Connection[]): StripRow[] {
  return (['tcp', 'udp'] as const).flatMap((proto) => {
    const list = conns.filter((c) => c.proto === proto && c.clientPort !== null);
    return list.length ? [{ label: proto.toUpperCase(), segments: null, lanes: attemptLanes(list) }] : [];
  });
}

function strip(label: string, conns: Connection[], clients: ClientProfile[], markers: StripMarker[], data: [string, string][]): Html {
  return renderPortStrip({ label, data, bands: profileBands(clients, []), rows: rows(conns), markers });
}

function findingFigure(f: CaptureFinding, conns: Connection[], clients: ClientProfile[], i: number): Html {
  const service = conns.filter((c) => c.server === f.server && c.serverPort === f.serverPort && c.proto === f.proto);
  const markers: StripMarker[] =
    f.code === 'RETURN_DROP_SUSPECTED'
      ? [{ port: f.threshold.port, label: `failures ${f.threshold.side} ${f.threshold.port}`, title: `attempts from client ports ${f.threshold.side} ${f.threshold.port} fail (between ${f.threshold.between[0]} and ${f.threshold.between[1]}); ${f.exceptions} exceptions` }]
      : [];
  return html`<figure class="strip" data-finding="${String(i)}">${strip(`${f.proto}/${f.serverPort ?? '-'} on ${f.server}: client ports by how the attempt ended`, service, clients, markers, [['finding', f.code]])}<figcaption>Client ports of the ${count(service.length)} connections to ${f.proto}/${f.serverPort ?? '-'} on ${f.server}, by how the attempt ended.</figcaption></figure>`;
}

/** `diagnose --html`: capture-only findings with pictures of the client ports. */
export function renderDiagnoseHtml(input: DiagnoseHtmlInput): string {
  const { summary, connections, clients, findings } = input;
  const span = summary.firstTs !== null && summary.lastTs !== null ? `${isoTime(summary.firstTs)} – ${isoTime(summary.lastTs)} (${summary.duration.toFixed(1)} s)` : 'no timestamps';
  const failed = connections.filter((c) => c.attempt === 'unanswered' || c.attempt === 'synack-unacked').length;
  const body = html`<header><h1>Capture diagnosis</h1>
<p class="subtitle">Capture <b class="mono" data-field="capture-file">${summary.file}</b>: connection attempts that failed, without any ACL</p>
<dl class="facts"><dt>packets</dt><dd>${count(summary.packets)}</dd><dt>connections</dt><dd>${count(connections.length)}</dd><dt>no answer</dt><dd>${count(failed)}</dd><dt>time span</dt><dd>${span}</dd></dl></header>
<section id="findings"><h2>Findings</h2>
${findings.length ? captureFindingsList(findings, 10, (f, i) => findingFigure(f, connections, clients, i)) : html`<p class="none">No failed connection attempt looks like dropped return traffic.</p>`}
</section>
<section id="all-ports"><h2>All client ports</h2>
<figure class="strip">${strip('client ports of every connection by how the attempt ended', connections, clients, [], [['scope', 'all']])}<figcaption>Every TCP and UDP connection of the capture at its client (ephemeral) port. A return rule that starts too high shows as “no answer” below a port and “completed” above it.</figcaption></figure>
</section>
<section id="clients"><h2>Clients and their port ranges</h2>${clientsTable(clients)}</section>`;
  return page(`aclreplay diagnose: ${summary.file}`, body).text;
}
