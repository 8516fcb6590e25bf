/** Output helpers shared by the reporters: aligned tables for people, Zeek-style TSV and JSON lines for machines. */

/** An aligned text table; numbers right-aligned. */
export function table(headers: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = rows.map((r) => r.map((c) => (c === null || c === undefined ? '-' : String(c))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number' || r[i] === null || r[i] === undefined));
  const line = (r: string[]) =>
    r
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n') + '\n';
}

/** Key/value lines, keys padded to one column. */
export function keyValues(pairs: [string, string][]): string {
  const w = Math.max(0, ...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n') + '\n';
}

/** Escape a TSV field the way Zeek does: tabs, newlines and backslashes as \x escapes; empty as "(empty)". */
function tsvField(v: unknown): string {
  if (v === null || v === undefined) return '-';
  if (Array.isArray(v)) return v.length === 0 ? '(empty)' : v.map(tsvField).join(',');
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  if (s === '') return '(empty)';
  return s.replace(/[\\\t\n\r]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Zeek-style TSV: #separator, #path, #fields and #types headers, one line per record, `-` for unset. */
export function tsv(path: string, fields: string[], types: string[], rows: Record<string, unknown>[]): string {
  const out = ['#separator \\x09', '#set_separator\t,', '#empty_field\t(empty)', '#unset_field\t-', `#path\t${path}`, `#fields\t${fields.join('\t')}`, `#types\t${types.join('\t')}`];
  for (const r of rows) out.push(fields.map((f) => tsvField(getPath(r, f))).join('\t'));
  return out.join('\n') + '\n';
}

function getPath(r: Record<string, unknown>, path: string): unknown {
  let v: unknown = r;
  for (const part of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

/** One JSON object per line. */
export function jsonLines(rows: unknown[]): string {
  return rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : '');
}

/** ISO 8601 UTC with microseconds, from seconds since the epoch. */
export function isoTime(ts: number): string {
  if (!Number.isFinite(ts)) return '-';
  const us = Math.round(ts * 1e6);
  const ms = Math.floor(us / 1000);
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return String(ts);
  return d.toISOString().replace('Z', `${String(us - ms * 1000).padStart(3, '0')}Z`);
}

/** A count with thousands separators. */
export function count(n: number): string {
  return n.toLocaleString('en-US');
}
