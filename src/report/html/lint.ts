/** The lint report page: per ACL its findings, the return-traffic coverage as port strips, and the rules with marks. */
import { html, count, type Html } from './escape.js';
import { page } from './page.js';
import { renderPortStrip, type PortStripModel } from './portstrip.js';
import { rulesTable, ruleFindings } from './rules.js';
import { severityBadge, awsDirection } from './cards.js';
import type { Acl, Direction } from '../../acl/model.js';
import type { CoverageReport, Finding } from '../../acl/lint.js';
import type { LintView } from '../../analyze/views.js';

function plural(n: number, word: string): string {
  return `${count(n)} ${word}${n === 1 ? '' : 's'}`;
}

function findingCard(f: Finding): Html {
  const where = [awsDirection(f.direction), f.family ? `IPv${f.family}` : '', f.rule === null ? '' : f.rule === '*' ? 'default deny (*)' : `rule ${f.rule}`].filter(Boolean).join(' · ');
  return html`<div class="card finding ${f.severity}" data-code="${f.code}"><div class="head">${severityBadge(f.severity)}<span class="code">${f.code}</span><span class="where">${where}</span></div><p class="message">${f.message}</p></div>`;
}

function coverageFigure(acl: Acl, direction: Direction, entries: CoverageReport[], model: PortStripModel | null): Html {
  if (!model || entries.length === 0) return html``;
  const probes = [...new Set(entries.map((c) => `IPv${c.family}: ${c.probe.src}:${c.probe.sport} → ${c.probe.dst}:<port>`))];
  return html`<figure class="strip" data-acl="${acl.id}" data-direction="${direction}">
<h4>${direction === 'inbound' ? 'Ingress (inbound)' : 'Egress (outbound)'}: return traffic ${direction === 'inbound' ? 'to clients inside the subnet' : 'to clients outside the subnet'}</h4>
${renderPortStrip(model)}
<figcaption>Probe packets (TCP with ACK, UDP) from a documentation address: ${probes.map((p, i) => html`${i ? '; ' : ''}<code>${p}</code>`)}. Segments name the deciding rule; hover a band for the share of its range each row allows.</figcaption>
</figure>`;
}

function aclSection(view: LintView, i: number): Html {
  const acl = view.acls[i]!;
  const r = view.reports[i]!;
  const findings = ruleFindings(r);
  const bySev = (s: string) => r.findings.filter((f) => f.severity === s).length;
  return html`<section class="candidate acl-lint" id="acl-${i}" data-acl="${acl.id}">
<h2>${acl.id}</h2>
<dl class="facts">${acl.name ? html`<dt>name</dt><dd>${acl.name}</dd>` : ''}<dt>file</dt><dd class="mono">${acl.file} (${acl.format})</dd><dt>rules</dt><dd>${r.rules.inbound} ingress, ${r.rules.outbound} egress (plus the default denies)</dd>${
    Object.keys(acl.tags).length ? html`<dt>tags</dt><dd class="tags">${Object.entries(acl.tags).map(([k, v], n) => html`${n ? ', ' : ''}<span class="mono">${k}=${v}</span>`)}</dd>` : ''
  }<dt>findings</dt><dd>${plural(bySev('error'), 'error')}, ${plural(bySev('warning'), 'warning')}, ${bySev('info')} info</dd></dl>
<h3>Findings</h3>
${r.findings.length ? r.findings.map(findingCard) : html`<p class="none">No findings.</p>`}
${r.coverage.length ? html`<h3>Return-traffic coverage</h3>${(['inbound', 'outbound'] as const).map((d) => coverageFigure(acl, d, r.coverage.filter((c) => c.direction === d), view.strips[i]![d]))}` : ''}
<h3>Rules</h3>
<h4>${acl.id}: ingress (inbound)</h4>
${rulesTable(acl, 'inbound', { hits: null, findings })}
<h4>${acl.id}: egress (outbound)</h4>
${rulesTable(acl, 'outbound', { hits: null, findings })}
</section>`;
}

/** `lint --html`: one document for all linted ACLs (acls[i] is the ACL of reports[i]). */
export function renderLintHtml(view: LintView): string {
  const { acls, reports } = view;
  const total = (s: string) => reports.reduce((n, r) => n + r.findings.filter((f) => f.severity === s).length, 0);
  const body = html`<header><h1>ACL lint report</h1>
<p class="subtitle">${count(acls.length)} ACL${acls.length === 1 ? '' : 's'}: ${plural(total('error'), 'error')}, ${plural(total('warning'), 'warning')}, ${count(total('info'))} info</p></header>
<table class="small lint-summary"><thead><tr><th>ACL</th><th>file</th><th class="num">errors</th><th class="num">warnings</th><th class="num">info</th></tr></thead><tbody>${reports.map(
    (r, i) =>
      html`<tr data-acl="${r.id}"><td><a href="#acl-${i}">${r.id}</a></td><td class="mono">${r.file}</td>${(['error', 'warning', 'info'] as const).map((s) => html`<td class="num">${r.findings.filter((f) => f.severity === s).length}</td>`)}</tr>`,
  )}</tbody></table>
${acls.map((_, i) => aclSection(view, i))}`;
  return page(`aclreplay lint: ${acls.map((a) => a.id).join(', ')}`, body).text;
}
