/** The lint report page: per ACL its findings, the return-traffic coverage as port strips, and the rules with marks. */
import { html, count, type Html } from './escape.js';
import { page } from './page.js';
import { renderPortStrip, type StripRow } from './portstrip.js';
import { decidingRules, hostOf, profileBands, ruleSegments } from './replay-strips.js';
import { rulesTable, ruleFindings } from './rules.js';
import { severityBadge, awsDirection } from './cards.js';
import type { Acl, Direction } from '../../acl/model.js';
import type { CoverageReport, Finding, LintReport } from '../../acl/lint.js';

function plural(n: number, word: string): string {
  return `${count(n)} ${word}${n === 1 ? '' : 's'}`;
}

function findingCard(f: Finding): Html {
  const where = [awsDirection(f.direction), f.family ? `IPv${f.family}` : '', f.rule === null ? '' : f.rule === '*' ? 'default deny (*)' : `rule ${f.rule}`].filter(Boolean).join(' · ');
  return html`<div class="card finding ${f.severity}" data-code="${f.code}"><div class="head">${severityBadge(f.severity)}<span class="code">${f.code}</span><span class="where">${where}</span></div><p class="message">${f.message}</p></div>`;
}

/** A coverage entry as a strip row: allowed ranges from lint, deciding rules from the linear reference. */
function coverageRow(acl: Acl, c: CoverageReport): { row: StripRow; allowed: Uint8Array; label: string } {
  const allowed = new Uint8Array(65536);
  for (const [lo, hi] of c.allowed) allowed.fill(1, lo, hi + 1);
  const src = hostOf(c.probe.src);
  const dst = hostOf(c.probe.dst);
  const label = `${c.protocol.toUpperCase()} · IPv${c.family}`;
  const rules = acl[c.direction];
  const proto = c.protocol === 'tcp' ? 6 : 17;
  const runs = src && dst ? decidingRules(rules, { family: c.family, src, dst, sport: c.probe.sport, tcpFlags: 0x10 }, proto) : [{ lo: 0, hi: 65535, index: -1 }];
  return { row: { label, segments: ruleSegments(rules, runs, allowed, `${label}:`), lanes: [] }, allowed, label };
}

function coverageFigure(acl: Acl, direction: Direction, entries: CoverageReport[]): Html {
  if (entries.length === 0) return html``;
  const rows = entries.map((c) => coverageRow(acl, c));
  const model = {
    label: `${acl.id} ${awsDirection(direction)}: destination ports allowed for return traffic, with port-range profiles`,
    data: [
      ['acl', acl.id],
      ['direction', direction],
    ] as [string, string][],
    bands: profileBands([], rows.map((r) => ({ label: r.label, allowed: r.allowed }))),
    rows: rows.map((r) => r.row),
  };
  const probes = [...new Set(entries.map((c) => `IPv${c.family}: ${c.probe.src}:${c.probe.sport} → ${c.probe.dst}:<port>`))];
  return html`<figure class="strip" data-acl="${acl.id}" data-direction="${direction}">
<h4>${direction === 'inbound' ? 'Ingress (inbound)' : 'Egress (outbound)'}: return traffic ${direction === 'inbound' ? 'to clients inside the subnet' : 'to clients outside the subnet'}</h4>
${renderPortStrip(model)}
<figcaption>Probe packets (TCP with ACK, UDP) from a documentation address: ${probes.map((p, i) => html`${i ? '; ' : ''}<code>${p}</code>`)}. Segments name the deciding rule; hover a band for the share of its range each row allows.</figcaption>
</figure>`;
}

function aclSection(acl: Acl, r: LintReport, i: number): Html {
  const findings = ruleFindings(r);
  const bySev = (s: string) => r.findings.filter((f) => f.severity === s).length;
  return html`<section class="candidate acl-lint" id="acl-${i}" data-acl="${acl.id}">
<h2>${acl.id}</h2>
<dl class="facts">${acl.name ? html`<dt>name</dt><dd>${acl.name}</dd>` : ''}<dt>file</dt><dd class="mono">${acl.file} (${acl.format})</dd><dt>rules</dt><dd>${r.rules.inbound} ingress, ${r.rules.outbound} egress (plus the default denies)</dd>${
    Object.keys(acl.tags).length ? html`<dt>tags</dt><dd class="tags">${Object.entries(acl.tags).map(([k, v], n) => html`${n ? ', ' : ''}<span class="mono">${k}=${v}</span>`)}</dd>` : ''
  }<dt>findings</dt><dd>${plural(bySev('error'), 'error')}, ${plural(bySev('warning'), 'warning')}, ${bySev('info')} info</dd></dl>
<h3>Findings</h3>
${r.findings.length ? r.findings.map(findingCard) : html`<p class="none">No findings.</p>`}
${r.coverage.length ? html`<h3>Return-traffic coverage</h3>${(['inbound', 'outbound'] as const).map((d) => coverageFigure(acl, d, r.coverage.filter((c) => c.direction === d)))}` : ''}
<h3>Rules</h3>
<h4>${acl.id}: ingress (inbound)</h4>
${rulesTable(acl, 'inbound', { hits: null, findings })}
<h4>${acl.id}: egress (outbound)</h4>
${rulesTable(acl, 'outbound', { hits: null, findings })}
</section>`;
}

/** `lint --html`: one document for all linted ACLs (acls[i] is the ACL of reports[i]). */
export function renderLintHtml(acls: Acl[], reports: LintReport[]): string {
  const total = (s: string) => reports.reduce((n, r) => n + r.findings.filter((f) => f.severity === s).length, 0);
  const body = html`<header><h1>ACL lint report</h1>
<p class="subtitle">${count(acls.length)} ACL${acls.length === 1 ? '' : 's'}: ${plural(total('error'), 'error')}, ${plural(total('warning'), 'warning')}, ${count(total('info'))} info</p></header>
<table class="small lint-summary"><thead><tr><th>ACL</th><th>file</th><th class="num">errors</th><th class="num">warnings</th><th class="num">info</th></tr></thead><tbody>${reports.map(
    (r, i) =>
      html`<tr data-acl="${r.id}"><td><a href="#acl-${i}">${r.id}</a></td><td class="mono">${r.file}</td>${(['error', 'warning', 'info'] as const).map((s) => html`<td class="num">${r.findings.filter((f) => f.severity === s).length}</td>`)}</tr>`,
  )}</tbody></table>
${acls.map((acl, i) => aclSection(acl, reports[i]!, i))}`;
  return page(`aclreplay lint: ${acls.map((a) => a.id).join(', ')}`, body).text;
}
