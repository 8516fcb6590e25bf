/**
 * The change review, side by side: the first candidate (left) against each other one (right): connections whose
 * outcome changes, grouped by cause, and the two rule lists aligned by direction, family and rule number.
 */
import { html, count, type Html } from './escape.js';
import { outcomeChart } from './charts.js';
import { TONES } from './palette.js';
import { examplesTable } from './cards.js';
import type { DiffReport } from '../../analyze/diff.js';
import type { ReplayResult } from '../../analyze/replay.js';
import type { ReplayView } from '../../analyze/views.js';
import type { Outcome } from '../../verdict/outcomes.js';
import { formatCidr, protocolName, type Acl, type Direction, type Rule } from '../../acl/model.js';
import { matchText } from './rules.js';

function outcomeWord(o: Outcome): Html {
  return html`<span class="outcome" data-outcome="${o}" style="color:${o === 'ok' ? '#00558A' : o === 'not-applicable' ? '#555' : '#8A3300'}">${TONES[o].symbol} ${TONES[o].word}</span>`;
}

/** Hits per rule of each placement of scenario s, in ACL list order (as run.ts lists them in the report). */
export function placementHits(r: ReplayResult, s: number): { inbound: number[]; outbound: number[] }[] {
  const rules = r.report.acls[s]!.rules;
  let at = 0;
  return r.plan.scenarios[s]!.placements.map((p) => {
    const acl = r.plan.acls[p.acl]!;
    const take = (n: number) => {
      const hits = rules.slice(at, at + n).map((x) => x.hits);
      at += n;
      return hits;
    };
    const inbound = take(acl.inbound.length);
    const outbound = take(acl.outbound.length);
    return { inbound, outbound };
  });
}

interface Side {
  rule: Rule;
  hits: number | null;
}

interface AlignedRow {
  direction: Direction;
  family: 4 | 6;
  number: number | '*';
  a: Side | null;
  b: Side | null;
}

function sortKey(direction: Direction, number: number | '*', family: number): number {
  return (direction === 'inbound' ? 0 : 1e6) + (number === '*' ? 40000 : number) * 10 + family;
}

/** Two ACLs' rules aligned by (direction, family, rule number), in evaluation order. */
export function alignRules(a: Acl, b: Acl, hitsA: { inbound: number[]; outbound: number[] } | null, hitsB: { inbound: number[]; outbound: number[] } | null): AlignedRow[] {
  const rows = new Map<string, AlignedRow>();
  const add = (acl: Acl, hits: { inbound: number[]; outbound: number[] } | null, side: 'a' | 'b') => {
    for (const direction of ['inbound', 'outbound'] as const) {
      acl[direction].forEach((rule, i) => {
        const key = `${direction}|${rule.family}|${rule.ruleNumber}`;
        const row = rows.get(key) ?? { direction, family: rule.family, number: rule.ruleNumber, a: null, b: null };
        row[side] = { rule, hits: hits ? (hits[direction][i] ?? 0) : null };
        rows.set(key, row);
      });
    }
  };
  add(a, hitsA, 'a');
  add(b, hitsB, 'b');
  return [...rows.values()].sort((x, y) => sortKey(x.direction, x.number, x.family) - sortKey(y.direction, y.number, y.family));
}

function cells(r: Rule, direction: Direction): string[] {
  return [r.action, protocolName(r.protocol, r.protocolMask), matchText(r), formatCidr(direction === 'inbound' ? r.src : r.dst)];
}

/** The rule lists side by side; changed fields are marked. With many rules only the differing rows are listed. */
export function ruleDiffTable(rows: AlignedRow[], nameA: string, nameB: string, maxAll = 60): Html {
  const status = (row: AlignedRow) => {
    if (!row.a) return 'added';
    if (!row.b) return 'removed';
    const ca = cells(row.a.rule, row.direction);
    const cb = cells(row.b.rule, row.direction);
    return ca.some((x, i) => x !== cb[i]) ? 'changed' : 'same';
  };
  const differing = rows.filter((r) => status(r) !== 'same');
  const shown = rows.length <= maxAll ? rows : differing;
  const hitsCell = (s: Side | null) => html`<td class="num">${s && s.hits !== null ? count(s.hits) : ''}</td>`;
  const body = shown.map((row) => {
    const st = status(row);
    const ca = row.a ? cells(row.a.rule, row.direction) : ['—', '—', '—', '—'];
    const cb = row.b ? cells(row.b.rule, row.direction) : ['—', '—', '—', '—'];
    const chg = (i: number) => st === 'changed' && ca[i] !== cb[i];
    const statusText = st === 'same' ? '' : st === 'added' ? '+ added' : st === 'removed' ? '− removed' : '≠ changed';
    return html`<tr class="${st}" data-status="${st}" data-rule="${String(row.number)}"><td>${row.direction === 'inbound' ? 'ingress' : 'egress'}</td><td class="mono">${String(row.number)}</td><td>IPv${row.family}</td>${ca.map(
      (c, i) => html`<td class="a mono${i === 0 ? ' sep' : ''}${chg(i) ? ' chg' : ''}">${c}</td>`,
    )}${hitsCell(row.a)}${cb.map((c, i) => html`<td class="b mono${i === 0 ? ' sep' : ''}${chg(i) ? ' chg' : ''}">${c}</td>`)}${hitsCell(row.b)}<td>${statusText}</td></tr>`;
  });
  return html`<table class="small diff"><thead><tr><th colspan="3"></th><th colspan="5" class="sep">${nameA} (before)</th><th colspan="5" class="sep">${nameB} (after)</th><th></th></tr>
<tr><th>direction</th><th>rule</th><th>IP</th><th class="sep">action</th><th>proto</th><th>ports</th><th>CIDR</th><th class="num">hits</th><th class="sep">action</th><th>proto</th><th>ports</th><th>CIDR</th><th class="num">hits</th><th>change</th></tr></thead><tbody>${body}</tbody></table>${
    shown.length < rows.length ? html`<p class="muted">${count(rows.length - shown.length)} identical rules not shown.</p>` : ''
  }${differing.length === 0 ? html`<p class="none">The rule lists are identical.</p>` : ''}`;
}

function changesTable(d: DiffReport): Html {
  if (d.changes.length === 0) return html`<p class="none">No connection changes outcome.</p>`;
  return html`<table class="small changes"><thead><tr><th>${d.old} (before)</th><th class="num">connections</th><th></th><th>${d.new} (after)</th><th class="num">clients</th></tr></thead><tbody>${d.changes.map(
    (c) =>
      html`<tr class="change" data-from="${c.from}" data-to="${c.to}" data-connections="${c.connections}"><td>${outcomeWord(c.from)}<br><span class="muted">${c.oldCause}</span></td><td class="num">${count(c.connections)}</td><td class="arrow">→</td><td>${outcomeWord(c.to)}<br><span class="muted">${c.newCause}</span></td><td class="num">${count(c.clients)}</td></tr>
<tr class="examples-row"><td colspan="5">${examplesTable(c.examples, 'for example')}</td></tr>`,
  )}</tbody></table>`;
}

/** One comparison: first candidate against candidate b. */
export function diffBlock(view: ReplayView, b: number): Html {
  const r = view.result;
  const d = view.diffs[b - 1]!;
  const sa = r.plan.scenarios[0]!;
  const sb = r.plan.scenarios[b]!;
  const ha = placementHits(r, 0);
  const hb = placementHits(r, b);
  const pairs = sa.placements.map((pa, k) => {
    const kb = sb.placements.findIndex((x) => x.name === pa.name);
    return { k, kb: kb >= 0 ? kb : sb.placements.length === sa.placements.length ? k : -1 };
  });
  const ruleDiffs = pairs.map(({ k, kb }) => {
    const aclA = r.plan.acls[sa.placements[k]!.acl]!;
    if (kb < 0) return html`<p class="none">${aclA.id} on ${sa.placements[k]!.name} has no counterpart in ${sb.name}.</p>`;
    const aclB = r.plan.acls[sb.placements[kb]!.acl]!;
    return html`${sa.placements.length > 1 ? html`<h4>${sa.placements[k]!.name}</h4>` : ''}${ruleDiffTable(alignRules(aclA, aclB, ha[k]!, hb[kb]!), aclA.id, aclB.id)}`;
  });
  const fixedText = `${count(d.fixed)} fixed`;
  const brokenText = `${count(d.broken)} broken`;
  return html`<section class="diff-block" data-old="${d.old}" data-new="${d.new}" data-changed="${d.changed}" data-fixed="${d.fixed}" data-broken="${d.broken}">
<h3>${d.old} → ${d.new}</h3>
<p class="summary-line"><b>${count(d.changed)}</b> of ${count(d.connections)} connections change outcome: <b>✓ ${fixedText}</b>, <b>${d.broken > 0 ? '✗ ' : ''}${brokenText}</b>${
    d.changed - d.fixed - d.broken > 0 ? `, ${count(d.changed - d.fixed - d.broken)} still blocked, another way` : ''
  }; ${count(d.unchanged)} unchanged.</p>
${outcomeChart(
  [
    { name: `${d.old} (before)`, outcomes: r.report.acls[0]!.outcomes },
    { name: `${d.new} (after)`, outcomes: r.report.acls[b]!.outcomes },
  ],
  `Connection outcomes, ${d.old} against ${d.new}`,
)}
<h4>Connections that change, by cause</h4>
${changesTable(d)}
<h4>Rules side by side</h4>
${ruleDiffs}
</section>`;
}
