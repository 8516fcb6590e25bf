/** Cards and tables for findings: replay diagnoses with their fix, capture-only findings, clients, example connections. */
import { html, count, type Html } from './escape.js';
import type { AffectedClient, Diagnosis, Fix } from '../../analyze/diagnoses/index.js';
import type { CaptureFinding, ConnectionRef } from '../../analyze/findings.js';
import type { ClientTable } from '../../flow/clients.js';
import { PORT_PROFILES } from '../../profiles.js';

export type Severity = 'error' | 'warning' | 'info';

const SEVERITY_SYMBOL: Record<Severity, string> = { error: '✖', warning: '▲', info: 'ℹ' };

export function severityBadge(s: Severity): Html {
  return html`<span class="sev ${s}">${SEVERITY_SYMBOL[s]} ${s}</span>`;
}

/** AWS says ingress and egress. */
export function awsDirection(d: 'inbound' | 'outbound' | null): string {
  return d === null ? '' : d === 'inbound' ? 'ingress (inbound)' : 'egress (outbound)';
}

function endpoint(addr: string, port: number | null): string {
  if (port === null) return addr;
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}

/** Example connections, one per line: "tcp 10.0.1.13:2327 → 10.0.2.10:80 · SF · completed". */
export function examplesTable(refs: ConnectionRef[], caption: string): Html {
  if (refs.length === 0) return html``;
  return html`<div class="examples"><span class="muted">${caption}:</span><ul>${refs.map(
    (e) =>
      html`<li><span class="mono">${e.proto} ${endpoint(e.client, e.clientPort)} → ${endpoint(e.server, e.serverPort)}</span> <span class="muted">· ${e.state} · ${e.attempt}${e.synRetransmits ? ` · ${e.synRetransmits} SYN retransmissions` : ''}${e.record ? ` · record ${e.record}` : ''}</span></li>`,
  )}</ul></div>`;
}


function isAffectedClients(x: unknown): x is AffectedClient[] {
  return Array.isArray(x) && x.every((c) => typeof c === 'object' && c !== null && 'host' in c && 'range' in c && 'notAllowedShare' in c);
}

function isRefs(x: unknown): x is ConnectionRef[] {
  return Array.isArray(x) && x.every((c) => typeof c === 'object' && c !== null && 'client' in c && 'server' in c);
}

function affectedTable(all: AffectedClient[], limit = 10): Html {
  const clients = all.slice(0, limit);
  return html`${all.length > limit ? html`<p class="muted">The ${limit} first of ${count(all.length)} affected clients:</p>` : ''}<table class="small clients"><thead><tr><th>client</th><th>profile (confidence)</th><th>profile range</th><th>ports seen</th><th class="num">connections</th><th>not allowed</th><th>next connections failing</th></tr></thead><tbody>${clients.map(
    (c) =>
      html`<tr><td class="mono">${c.host}</td><td>${c.profile} (${c.confidence.toFixed(2)})</td><td class="mono">${c.range[0]}–${c.range[1]}</td><td class="mono">${c.ports[0]}–${c.ports[1]}</td><td class="num">${count(c.connections)}</td><td>${Math.round(c.notAllowedShare * 100)}% of the range: <span class="mono">${c.notAllowed}</span></td><td>${c.failureProbability === undefined ? '' : `${Math.round(c.failureProbability * 100)}%${c.failurePattern === 'bursty' ? ', in runs' : ''}`}</td></tr>`,
  )}</tbody></table>`;
}

function protocolWord(p: string): string {
  return p === '6' ? '6 (tcp)' : p === '17' ? '17 (udp)' : p;
}

/** The fix: what to change, each AWS entry field by field with its aws CLI command, and whether a replay verified it. */
export function fixBlock(fix: Fix): Html {
  const changes = fix.changes ?? [];
  if (changes.length === 0) return html`<div class="fix" data-verified="false"><div><span class="title">Fix: ${fix.note}</span></div></div>`;
  const entry = (c: Fix['changes'][number]): Html => {
    const e = c.entry;
    const fields: [string, string][] = [
      ['RuleNumber', String(e.ruleNumber)],
      ['Protocol', protocolWord(e.protocol)],
      ['RuleAction', e.ruleAction],
      ['Egress', String(e.egress)],
      e.cidrBlock !== undefined ? ['CidrBlock', e.cidrBlock] : ['Ipv6CidrBlock', e.ipv6CidrBlock ?? ''],
      ['PortRange', `From=${e.portRange.from}, To=${e.portRange.to}`],
    ];
    return html`<div class="muted">AWS network ACL entry to ${c.action}${c.replaces ? html` (now rule ${c.replaces.ruleNumber}, ports ${c.replaces.portRange.from}–${c.replaces.portRange.to})` : ''}:</div>
<dl class="entry">${fields.map(([k, v]) => html`<div><dt>${k}</dt><dd>${v}</dd></div>`)}</dl>
<pre class="cmd"><code>${c.command}</code></pre>`;
  };
  return html`<div class="fix" data-verified="${String(fix.verified)}"><div><span class="title">Fix: ${fix.note}</span>${
    fix.verified ? html`<span class="verified">✓ verified by replaying</span>` : html`<span class="unverified">▲ not verified</span>`
  }</div>
${changes.map(entry)}</div>`;
}

/** A replay diagnosis with its evidence and fix. */
export function diagnosisCard(d: Diagnosis): Html {
  const where = [d.acl ?? '', awsDirection(d.direction), d.rule === null ? '' : d.rule === '*' ? 'default deny (*)' : `rule ${d.rule}`].filter(Boolean).join(' · ');
  const rules = Array.isArray(d.rules) ? (d.rules as { words: string; connections: number }[]) : [];
  const suggestions = Array.isArray(d.suggestions) ? (d.suggestions as string[]) : [];
  return html`<div class="card diagnosis ${d.severity}" data-code="${d.code}"><div class="head">${severityBadge(d.severity)}<span class="code">${d.code}</span><span class="where">${where}</span></div>
<p class="message">${d.message}</p>
${isAffectedClients(d.clients) ? affectedTable(d.clients) : ''}
${rules.length ? html`<ul class="small">${rules.map((r) => html`<li>${r.words}: ${count(r.connections)} connection${r.connections === 1 ? '' : 's'}</li>`)}</ul>` : ''}
${suggestions.length ? html`<p>Likely subnets: ${suggestions.map((s, i) => html`${i ? ', ' : ''}<code>${s}</code>`)}</p>` : ''}
${d.fix ? fixBlock(d.fix as Fix) : ''}
${isRefs(d.examples) ? examplesTable(d.examples, 'Examples') : ''}
${isRefs(d.unexplained) && d.unexplained.length ? examplesTable(d.unexplained, 'Failed for another reason') : ''}
${isRefs(d.wouldBreakExamples) && d.wouldBreakExamples.length ? examplesTable(d.wouldBreakExamples, 'Worked in the capture, would break') : ''}
</div>`;
}

/** A capture-only finding (no ACL involved); `picture` goes at the end of the card. */
export function captureFindingCard(f: CaptureFinding, picture: Html | null = null): Html {
  const severity: Severity = f.code === 'RETURN_DROP_SUSPECTED' ? 'warning' : 'info';
  const service = `${f.proto}/${f.serverPort ?? '-'} on ${f.server}`;
  return html`<div class="card capture-finding ${severity}" data-code="${f.code}"><div class="head">${severityBadge(severity)}<span class="code">${f.code}</span><span class="where">${service}</span></div>
<p class="message">${f.message}</p>
${
  f.code === 'RETURN_DROP_SUSPECTED'
    ? html`<p class="muted">${count(f.failed)} failed, ${count(f.ok)} worked, ${count(f.clients)} client${f.clients === 1 ? '' : 's'}; failures ${f.threshold.side} port ${f.threshold.port} (between ${f.threshold.between[0]} and ${f.threshold.between[1]}), ${count(f.exceptions)} exception${f.exceptions === 1 ? '' : 's'}</p>${examplesTable(f.examples.failed, 'Failed')}${examplesTable(f.examples.ok, 'Worked')}`
    : html`<p class="muted">${count(f.failed)} failed (${f.reason}) from ${count(f.clients)} client${f.clients === 1 ? '' : 's'}${f.clientPorts ? `, client ports ${f.clientPorts[0]}–${f.clientPorts[1]}` : ''}</p>${examplesTable(f.examples, 'Examples')}`
}
${picture ?? ''}
</div>`;
}

/** Clients and their inferred port ranges. */
export function clientsTable(t: ClientTable, limit = 40): Html {
  if (t.count === 0) return html`<p class="none">No client with an ephemeral port in the capture.</p>`;
  const order = Array.from({ length: t.count }, (_, i) => i).sort((a, b) => t.flows[b]! - t.flows[a]!);
  const shown = order.slice(0, limit).map((i) => t.record(i));
  const desc = (p: string) => PORT_PROFILES.find((x) => x.name === p)?.description ?? p;
  return html`<table class="small clients-table"><thead><tr><th>client</th><th>inferred profile</th><th>range</th><th class="num">confidence</th><th class="num">connections</th><th class="num">distinct ports</th><th>ports seen</th></tr></thead><tbody>${shown.map(
    (c) =>
      html`<tr data-host="${c.host}"><td class="mono">${c.host}</td><td title="${desc(c.profile)}">${c.profile}</td><td class="mono">${c.range[0]}–${c.range[1]}</td><td class="num">${c.confidence.toFixed(2)}</td><td class="num">${count(c.flows)}</td><td class="num">${count(c.ports)}</td><td class="mono">${c.ports ? `${c.minPort}–${c.maxPort}` : '-'}</td></tr>`,
  )}</tbody></table>${t.count > limit ? html`<p class="muted">${count(t.count - limit)} more clients not shown.</p>` : ''}`;
}

/** Findings in order of failed attempts: the first `cards` as cards (with `picture(f)`), the rest as one table. */
export function captureFindingsList(findings: CaptureFinding[], cards: number, picture: (f: CaptureFinding, i: number) => Html | null = () => null): Html {
  const order = findings.map((f, i) => ({ f, i })).sort((a, b) => b.f.failed - a.f.failed || a.i - b.i);
  const first = order.slice(0, cards);
  const rest = order.slice(cards, cards + 60);
  const hidden = Math.max(0, order.length - cards - rest.length);
  return html`${first.map(({ f, i }) => captureFindingCard(f, picture(f, i)))}${
    rest.length
      ? html`<h3>${count(rest.length + hidden)} more finding${rest.length + hidden === 1 ? '' : 's'}</h3><table class="small more-findings"><thead><tr><th>code</th><th>service</th><th class="num">failed</th><th class="num">worked</th><th class="num">clients</th><th>failures</th></tr></thead><tbody>${rest.map(
          ({ f }) =>
            html`<tr data-code="${f.code}"><td>${f.code}</td><td class="mono">${f.proto}/${f.serverPort ?? '-'} on ${f.server}</td><td class="num">${count(f.failed)}</td><td class="num">${f.code === 'RETURN_DROP_SUSPECTED' ? count(f.ok) : '0'}</td><td class="num">${count(f.clients)}</td><td>${
              f.code === 'RETURN_DROP_SUSPECTED' ? `client ports ${f.threshold.side} ${f.threshold.port}${f.exceptions ? `, ${count(f.exceptions)} exceptions` : ''}` : f.reason
            }</td></tr>`,
        )}</tbody></table>${hidden > 0 ? html`<p class="muted">${count(hidden)} findings with fewer failures not shown (all of them are in <code>-F json</code>).</p>` : ''}`
      : ''
  }`;
}
