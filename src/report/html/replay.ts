/** The replay report page: outcomes at a glance, the diff, clients, then one section per candidate. */
import { rejectsSection } from './rejects.js';
import { html, count, type Html } from './escape.js';
import { page } from './page.js';
import { outcomeChart, outcomeLegend, swatch } from './charts.js';
import { captureFindingsList, clientsTable, diagnosisCard } from './cards.js';
import { renderPortStrip } from './portstrip.js';
import { rulesTable, ruleFindings, type RuleFindings } from './rules.js';
import { diffBlock, placementHits } from './diff.js';
import { TONES } from './palette.js';
import type { ReplayView } from '../../analyze/views.js';
import type { StripProbe, ReplayStrip } from '../../analyze/strips.js';
import type { LintReport } from '../../analyze/lint.js';
import { OUTCOMES } from '../../verdict/outcomes.js';
import { isoTime } from '../text.js';

function plural(n: number, word: string): string {
  return `${count(n)} ${word}${n === 1 ? '' : 's'}`;
}

function endpoint(addr: string, port: number): string {
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}

function probeText(p: StripProbe): Html {
  const what =
    p.kind === 'request'
      ? `requests of the busiest client→server pair crossing this way (${count(p.connections)} connection${p.connections === 1 ? '' : 's'})`
      : p.kind === 'reply'
        ? `replies of the busiest server→client pair crossing this way (${count(p.connections)} connection${p.connections === 1 ? '' : 's'})`
        : 'no capture traffic of this family crosses this way: a documentation address stands in for the far side';
  return html`<li>IPv${p.family}: <code>${endpoint(p.srcText, p.sport)} → ${p.dstText}:&lt;port&gt;</code>, ${what}</li>`;
}

function stripFigure(st: ReplayStrip): Html {
  const dir = st.direction === 'inbound' ? 'Ingress (inbound)' : 'Egress (outbound)';
  const replies = st.probes.some((p) => p.kind === 'reply');
  return html`<figure class="strip" data-acl="${st.acl}" data-direction="${st.direction}">
<h4>${dir}: destination ports ${st.acl} allows${replies ? ' (return traffic to client ports)' : st.probes.some((p) => p.kind === 'request') ? ' (requests to service ports)' : ''}</h4>
${renderPortStrip(st.model)}
<figcaption>${st.crossings ? `${count(st.crossings)} connections of the capture cross this way. ` : 'No connection of the capture crosses this way. '}Rows judge these packets with every destination port:<ul>${st.probes.map(probeText)}</ul></figcaption>
</figure>`;
}

/** The key next to the strips (each candidate starts a printed page, so it repeats there). */
function stripLegend(): Html {
  const lane = (tone: 'ok' | 'forward-blocked' | 'return-blocked' | 'both-blocked', word: string) =>
    html`<span class="item"><svg class="swatch" viewBox="0 0 22 14" aria-hidden="true"><rect x="9" y="2" width="3" height="12" fill="${TONES[tone].color}"/></svg>${TONES[tone].symbol} ${word}</span>`;
  return html`<div class="legend strip-legend"><span class="item">${swatch('allow')}allowed</span><span class="item">${swatch('deny')}denied</span><span class="item"><svg class="swatch" viewBox="0 0 22 14" aria-hidden="true"><rect x="0.5" y="2.5" width="21" height="9" rx="2" fill="#E9E9E9" stroke="#6E6E6E"/></svg>client port range of a system</span>${lane('ok', 'allowed here')}${lane('forward-blocked', 'request denied here')}${lane('return-blocked', 'reply denied here')}${lane('both-blocked', 'both ways denied')}</div>`;
}

function howToRead(): Html {
  return html`<div class="how"><b>How to read the port strips.</b><ul>
<li>Ports run left to right; 0–1023 (service ports) have their own enlarged panel, then 1024–65535 at scale. Dashed lines mark 1024, 5000, 10000, 32768, 49152, 60999.</li>
<li>Grey bands: the ephemeral (client) port ranges of common systems, with the number of clients in the capture inferred to use each.</li>
<li>Rule rows, one per protocol and address family: ${swatch('allow')} solid blue = allowed, ${swatch('deny')} hatched = denied; the segment names the deciding rule. Each row judges every destination port for the packets named under the picture (the busiest pair of hosts in the capture crossing that way), with the replay's own evaluator.</li>
<li>Lanes under a row: the destination ports the capture's connections used crossing that way (service ports of requests, client ports of replies). “✓ allowed here”: this ACL's rules let them through in this direction (the tooltip says how each connection ended). The other lanes: denied here, by connection outcome. In a topology each ACL is shown by itself; the outcomes count the whole path. Bars grow with the number of connections.</li>
<li>The gap to fix: a blocked lane under a hatched segment, or a band reaching past the allowed area (clients of that kind will hang on some of their ports).</li>
</ul></div>`;
}

function candidateSection(view: ReplayView, s: number, findings: RuleFindings[], lint: (LintReport | null)[]): Html {
  const r = view.result;
  const a = r.report.acls[s]!;
  const sc = r.plan.scenarios[s]!;
  const strips = view.strips[s]!;
  const hits = placementHits(r, s);
  const o = a.outcomes;
  const blocked = o['forward-blocked'] + o['return-blocked'] + o['both-blocked'];
  const bySeverity = (sev: string) => a.diagnoses.filter((d) => d.severity === sev).length;
  const placements = sc.placements.map((p, k) => {
    const acl = r.plan.acls[p.acl]!;
    const l = lint[p.acl];
    const incomplete = l?.findings.some((f) => f.code === 'ANALYSIS_INCOMPLETE');
    return html`<div class="placement" data-acl="${acl.id}">
${sc.placements.length > 1 ? html`<h3>${acl.id} on ${p.name}</h3>` : ''}
<dl class="facts"><dt>ACL</dt><dd><b>${acl.id}</b>${acl.name ? html` — ${acl.name}` : ''}</dd><dt>file</dt><dd class="mono">${acl.file} (${acl.format})</dd><dt>subnets</dt><dd class="mono">${a.placements[k]?.subnets.join(', ') ?? ''}</dd>${
      Object.keys(acl.tags).length ? html`<dt>tags</dt><dd class="tags">${Object.entries(acl.tags).map(([k2, v], i) => html`${i ? ', ' : ''}<span class="mono">${k2}=${v}</span>`)}</dd>` : ''
    }${acl.warnings.length ? html`<dt>import warnings</dt><dd>${acl.warnings.join('; ')}</dd>` : ''}</dl>
<h3>Ports: what the rules allow, what the capture used</h3>
${stripLegend()}
${strips.filter((st) => st.placement === k).map(stripFigure)}
<h3>Rule hits</h3>
<p class="muted">Packets of the capture each rule decided, in evaluation order. <span class="tag unused">○ never hit</span> no packet matched; <span class="tag shadowed">⚠ shadowed</span> earlier rules take all of its traffic, so it can never match (from <code>aclreplay lint</code>).${incomplete ? ' Lint analysis was incomplete for this ACL (too many field combinations): shadowing marks may be missing.' : ''}</p>
<h4>${acl.id}: ingress (inbound)</h4>
${rulesTable(acl, 'inbound', { hits: hits[k]!.inbound, findings: findings[p.acl]! })}
<h4>${acl.id}: egress (outbound)</h4>
${rulesTable(acl, 'outbound', { hits: hits[k]!.outbound, findings: findings[p.acl]! })}
</div>`;
  });
  return html`<section class="candidate" id="cand-${s}" data-candidate="${a.acl}" data-index="${s}">
<h2>Candidate ${s + 1}: ${a.acl}</h2>
<p class="summary-line">${count(o.ok)} ok, <b>${count(blocked)} blocked</b> (${TONES['forward-blocked'].symbol} ${count(o['forward-blocked'])} forward, ${TONES['return-blocked'].symbol} ${count(o['return-blocked'])} return, ${TONES['both-blocked'].symbol} ${count(o['both-blocked'])} both), ${count(o['not-applicable'])} not crossing the subnets. Packets: ingress ${count(a.packets.inbound.allow)} allowed / ${count(a.packets.inbound.deny)} denied, egress ${count(a.packets.outbound.allow)} allowed / ${count(a.packets.outbound.deny)} denied. Diagnoses: ${plural(bySeverity('error'), 'error')}, ${plural(bySeverity('warning'), 'warning')}, ${bySeverity('info')} info.</p>
${placements}
<h3>Diagnoses</h3>
${a.diagnoses.length ? a.diagnoses.map(diagnosisCard) : html`<p class="none">No diagnosis: nothing this candidate blocks needs attention.</p>`}
</section>`;
}

/** The whole replay report as one self-contained HTML document. */
export function renderReplayHtml(view: ReplayView): string {
  const r = view.result;
  const rep = r.report;
  const lint = view.lint;
  const findings = lint.map(ruleFindings);
  const span = r.summary.firstTs !== null && r.summary.lastTs !== null ? `${isoTime(r.summary.firstTs)} – ${isoTime(r.summary.lastTs)} (${r.summary.duration.toFixed(1)} s)` : 'no timestamps';
  const subnets = [...new Set(rep.acls.flatMap((a) => a.subnets))];
  const several = rep.acls.length > 1;
  const body = html`<header>
<h1>ACL replay report</h1>
<p class="subtitle">${rep.records !== undefined ? 'Flow logs' : 'Capture'} <b class="mono" data-field="capture-file">${rep.file}</b> replayed against ${rep.acls.length} candidate${several ? 's' : ''}</p>
<dl class="facts"><dt>packets</dt><dd>${count(rep.packets)}</dd><dt>connections</dt><dd>${count(rep.connections)}</dd><dt>time span</dt><dd>${span}</dd><dt>candidates</dt><dd>${rep.acls.map((a, i) => html`${i ? ', ' : ''}<b>${a.acl}</b>`)}</dd><dt>subnets</dt><dd class="mono">${subnets.join(', ')}</dd>${
    rep.topology ? html`<dt>topology</dt><dd class="mono">${rep.topology}</dd>` : ''
  }</dl>
</header>
<nav class="toc"><b>Contents</b><ol><li><a href="#outcomes">Connection outcomes</a></li>${several ? html`<li><a href="#diff">What changes between candidates</a></li>` : ''}<li><a href="#clients">Clients and their port ranges</a></li>${
    rep.captureFindings.length ? html`<li><a href="#capture">Failures seen in the capture</a></li>` : ''
  }${rep.acls.map((a, s) => html`<li><a href="#cand-${s}">Candidate ${s + 1}: ${a.acl}</a></li>`)}</ol></nav>
<section id="outcomes">
<h2>Connection outcomes</h2>
${outcomeChart(
  rep.acls.map((a) => ({ name: a.acl, outcomes: a.outcomes })),
  'Connection outcomes per candidate',
)}
${outcomeLegend()}
<table class="small outcomes-table"><thead><tr><th>candidate</th>${OUTCOMES.map((o) => html`<th class="num">${TONES[o].symbol} ${TONES[o].word}</th>`)}<th class="num">total</th><th class="num">diagnoses</th></tr></thead><tbody>${rep.acls.map(
    (a) =>
      html`<tr data-candidate="${a.acl}">
<td><b>${a.acl}</b></td>${OUTCOMES.map((o) => html`<td class="num" data-outcome="${o}">${count(a.outcomes[o])}</td>`)}<td class="num">${count(OUTCOMES.reduce((t, o) => t + a.outcomes[o], 0))}</td><td class="num">${a.diagnoses.length}</td></tr>`,
  )}</tbody></table>
</section>
${several ? html`<section id="diff"><h2>What changes between candidates</h2><p class="muted">The first candidate (left, before) against each other one (right, after), on the same capture.</p>${rep.acls.slice(1).map((_, i) => diffBlock(view, i + 1))}</section>` : ''}
<section id="clients"><h2>Clients and their port ranges</h2><p class="muted">Each client's ephemeral ports as seen in the capture and the port-range profile inferred from them (and from the SYN's TTL and options).</p>${clientsTable(r.clients)}</section>
${rep.captureFindings.length ? html`<section id="capture"><h2>Failures seen in the capture</h2><p class="muted">From the capture alone, before any candidate is applied.</p>${captureFindingsList(rep.captureFindings, 6)}</section>` : ''}
${rejectsSection(rep.rejectExplanations)}
${howToRead()}
${rep.acls.map((_, s) => candidateSection(view, s, findings, lint))}`;
  return page(`aclreplay: ${rep.file} against ${rep.acls.map((a) => a.acl).join(', ')}`, body).text;
}
