/** Rule tables: every rule in evaluation order with its hit count as a bar, never-hit and shadowed rules marked. */
import { html, count, type Html } from './escape.js';
import { hitBar } from './charts.js';
import type { Finding } from '../../acl/lint.js';
import type { LintReport } from '../../analyze/lint.js';
import { formatCidr, formatPorts, protocolName, type Acl, type Direction, type Rule } from '../../acl/model.js';

/** Lint findings about single rules, by direction, family and rule number. */
export type RuleFindings = Map<string, Finding[]>;

export function ruleKey(direction: Direction, family: 4 | 6, rule: number | '*'): string {
  return `${direction}|${family}|${rule}`;
}

export function ruleFindings(report: LintReport | null): RuleFindings {
  const m: RuleFindings = new Map();
  for (const f of report?.findings ?? []) {
    if (f.rule === null || f.direction === null || f.family === null) continue;
    const k = ruleKey(f.direction, f.family, f.rule);
    m.set(k, [...(m.get(k) ?? []), f]);
  }
  return m;
}

/** Short tag per lint code shown next to a rule. */
const TAG: Record<string, string> = {
  SHADOWED_RULE: 'shadowed',
  UNMATCHABLE_RULE: 'unmatchable',
  REDUNDANT_RULE: 'redundant',
  CONTRADICTED_RULE: 'contradicted',
  ICMPV4_ON_IPV6: 'ICMPv4 on IPv6',
};

function ruleMarks(findings: Finding[], hits: number | null): Html {
  const shadow = findings.find((f) => f.code === 'SHADOWED_RULE');
  const others = findings.filter((f) => f.code !== 'SHADOWED_RULE' && TAG[f.code]);
  return html`${shadow ? html`<span class="tag shadowed" data-mark="shadowed" title="${shadow.message}">⚠ shadowed${shadow.related?.length ? ` by ${shadow.related.join(', ')}` : ''}</span>` : ''}${
    hits === 0 ? html`<span class="tag unused" data-mark="unused" title="no packet of the capture matched this rule">○ never hit</span>` : ''
  }${others.map((f) => html`<span class="tag lint" data-mark="${TAG[f.code]!}" title="${f.message}">${TAG[f.code]!}</span>`)}`;
}

/** What a rule matches besides protocol and CIDR: ports, ICMP type, or nothing. */
export function matchText(r: Rule): string {
  const proto = protocolName(r.protocol, r.protocolMask);
  if (r.icmpType !== -1) return `type ${r.icmpType}${r.icmpCode !== -1 ? ` code ${r.icmpCode}` : ''}`;
  if (proto === 'tcp' || proto === 'udp') return formatPorts(r.dstPorts);
  return proto === 'all' ? 'all' : proto === 'icmp' || proto === 'icmpv6' ? 'any type' : '-';
}

export interface RulesTableOptions {
  /** Hits per rule (same order as the ACL's list), or null for a table without hits (lint). */
  hits: number[] | null;
  findings: RuleFindings;
  /** Rows shown at most; the rest are summarised. */
  limit?: number;
}

/** One direction of an ACL as a table. */
export function rulesTable(acl: Acl, direction: Direction, opts: RulesTableOptions): Html {
  const rules = direction === 'inbound' ? acl.inbound : acl.outbound;
  const limit = opts.limit ?? 150;
  const max = opts.hits ? opts.hits.reduce((m, h) => (h > m ? h : m), 0) : 0;
  const total = opts.hits ? opts.hits.reduce((a, b) => a + b, 0) : 0;
  const cidrHead = direction === 'inbound' ? 'source' : 'destination';
  const rows = rules.slice(0, limit).map((r, i) => {
    const hits = opts.hits ? (opts.hits[i] ?? 0) : null;
    const findings = opts.findings.get(ruleKey(direction, r.family, r.ruleNumber)) ?? [];
    const shadowed = findings.some((f) => f.code === 'SHADOWED_RULE');
    const label = r.ruleNumber === '*' ? `* (${r.family === 4 ? 32767 : 32768})` : String(r.ruleNumber);
    const share = total > 0 && hits !== null ? ` (${((100 * hits) / total).toFixed(1)}% of this direction's judged packets)` : '';
    const title = `${direction === 'inbound' ? 'ingress' : 'egress'} rule ${r.ruleNumber} ${r.action}: ${hits === null ? '' : `${count(hits)} packet${hits === 1 ? '' : 's'}${share}`}`;
    return html`<tr class="${[shadowed ? 'shadowed' : '', hits === 0 ? 'unused' : ''].join(' ').trim()}" data-rule="${String(r.ruleNumber)}" data-family="${r.family}"${hits === null ? '' : html` data-hits="${hits}"`}>
<td class="mono">${label}</td><td><span class="act ${r.action}">${r.action === 'allow' ? '✓ allow' : '✗ deny'}</span></td><td>IPv${r.family}</td><td>${protocolName(r.protocol, r.protocolMask)}</td><td class="mono">${matchText(r)}</td><td class="mono">${formatCidr(direction === 'inbound' ? r.src : r.dst)}</td><td class="desc">${r.ruleNumber === '*' ? 'default deny' : (r.description ?? '')}</td>
${hits === null ? '' : html`<td class="hits"><span class="n">${count(hits)}</span>${hitBar(hits, max, r.action, title)}</td>`}<td class="marks">${ruleMarks(findings, hits)}</td></tr>`;
  });
  const more = rules.length - Math.min(limit, rules.length);
  const unusedMore = opts.hits ? rules.slice(limit).filter((_, i) => (opts.hits![limit + i] ?? 0) === 0).length : 0;
  return html`<table class="small rules" data-acl="${acl.id}" data-direction="${direction}"><thead><tr><th>rule</th><th>action</th><th>IP</th><th>protocol</th><th>ports</th><th>${cidrHead}</th><th>description</th>${opts.hits ? html`<th>packets matched</th>` : ''}<th>notes</th></tr></thead><tbody>${rows}</tbody></table>${
    more > 0 ? html`<p class="muted">${count(more)} more rules not shown${opts.hits ? html` (${count(unusedMore)} of them never hit)` : ''}.</p>` : ''
  }`;
}
