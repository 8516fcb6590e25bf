/** Output helpers shared by the reporters: aligned tables for people, Zeek-style TSV and JSON lines for machines. */

/** Records per output chunk when streaming. */
export const CHUNK_RECORDS = 2048;

/** Lines produced by `line(i)` for i in [0, n), joined into chunks of CHUNK_RECORDS lines. */
export function* lineChunks(n: number, line: (i: number) => string): Generator<string> {
  for (let start = 0; start < n; start += CHUNK_RECORDS) {
    const end = Math.min(n, start + CHUNK_RECORDS);
    let text = '';
    for (let i = start; i < end; i++) text += line(i) + '\n';
    yield text;
  }
}

/** An aligned table streamed row by row: widths from a first pass over the cells, then one line per row. */
export function* tableChunks(headers: string[], n: number, cells: (i: number) => (string | number | null | undefined)[]): Generator<string> {
  const widths = headers.map((h) => h.length);
  const numeric = headers.map(() => n > 0);
  for (let i = 0; i < n; i++) {
    const r = cells(i);
    for (let k = 0; k < headers.length; k++) {
      const c = r[k];
      const len = c === null || c === undefined ? 1 : String(c).length;
      if (len > widths[k]!) widths[k] = len;
      if (typeof c !== 'number' && c !== null && c !== undefined) numeric[k] = false;
    }
  }
  const line = (r: (string | number | null | undefined)[]) =>
    r
      .map((c, k) => {
        const t = c === null || c === undefined ? '-' : String(c);
        return numeric[k] ? t.padStart(widths[k]!) : t.padEnd(widths[k]!);
      })
      .join('  ')
      .trimEnd();
  yield line(headers) + '\n' + line(widths.map((w) => '-'.repeat(w))) + '\n';
  yield* lineChunks(n, (i) => line(cells(i)));
}

/** An aligned text table; numbers right-aligned. */
export function table(headers: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = rows.map((r) => r.map((c) => (c === null || c === undefined ? '-' : String(c))));
  // A loop, not Math.max(...column): a table of 300 k rows would not fit the call's arguments on the stack.
  const widths = headers.map((h) => h.length);
  for (const r of cells) for (let i = 0; i < widths.length; i++) if ((r[i] ?? '').length > widths[i]!) widths[i] = (r[i] ?? '').length;
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
  const w = pairs.reduce((m, [k]) => (k.length > m ? k.length : m), 0);
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

/** The Zeek-style TSV header: #separator, #path, #fields and #types. */
export function tsvHeader(path: string, fields: string[], types: string[]): string {
  return ['#separator \\x09', '#set_separator\t,', '#empty_field\t(empty)', '#unset_field\t-', `#path\t${path}`, `#fields\t${fields.join('\t')}`, `#types\t${types.join('\t')}`].join('\n') + '\n';
}

/** One TSV line of `r`'s `fields` (dotted paths reach into nested objects), `-` for unset. */
export function tsvLine(r: Record<string, unknown>, fields: string[]): string {
  return fields.map((f) => tsvField(getPath(r, f))).join('\t');
}

/** Zeek-style TSV: header, one line per record. */
export function tsv(path: string, fields: string[], types: string[], rows: Record<string, unknown>[]): string {
  return tsvHeader(path, fields, types) + rows.map((r) => tsvLine(r, fields) + '\n').join('');
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

/** addr:port, with IPv6 addresses in brackets; the address alone for protocols without ports. */
export function endpoint(addr: string, port: number | string | null): string {
  if (port === null) return addr;
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}
