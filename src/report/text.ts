/**
 * Output helpers shared by the reporters: aligned tables for people, Zeek-style TSV and JSON lines for machines. They
 * are where strings from inputs (ACL ids, names, descriptions, file and interface names) meet the output: table and
 * key/value cells are escaped for a terminal (one line each, widths measured on the escaped text), TSV fields keep
 * their row intact, JSON lines escape what JSON.stringify leaves raw (src/text/json.ts).
 */
import { escapeForTerminal, visibleEscape } from '../text/terminal.js';
import { jsonText } from '../text/json.js';

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
      const len = c === null || c === undefined ? 1 : cellText(c).length;
      if (len > widths[k]!) widths[k] = len;
      if (typeof c !== 'number' && c !== null && c !== undefined) numeric[k] = false;
    }
  }
  const line = (r: (string | number | null | undefined)[]) =>
    r
      .map((c, k) => {
        const t = c === null || c === undefined ? '-' : cellText(c);
        return numeric[k] ? t.padStart(widths[k]!) : t.padEnd(widths[k]!);
      })
      .join('  ')
      .trimEnd();
  yield line(headers) + '\n' + line(widths.map((w) => '-'.repeat(w))) + '\n';
  yield* lineChunks(n, (i) => line(cells(i)));
}

/** A table or key/value cell as a terminal shows it: a number as String() writes it, text on one line, escaped. */
function cellText(c: string | number): string {
  return typeof c === 'string' ? escapeForTerminal(c) : String(c);
}

/** An aligned text table; numbers right-aligned. */
export function table(headers: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = rows.map((r) => r.map((c) => (c === null || c === undefined ? '-' : cellText(c))));
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

/**
 * Multi-line text for a terminal, from renderers that interpolate strings from inputs: every control character a
 * terminal would act on (C0 but the newline, DEL, C1, bidi) written as a visible escape. Plain text passes unchanged.
 */
export function terminalText(text: string): string {
  return escapeForTerminal(text, { keepNewlines: true });
}

/** One line of terminal text (an ACL id or a file name in a heading): as terminalText, a newline escaped too. */
export function terminalLine(text: string): string {
  return escapeForTerminal(text);
}

/** Key/value lines, keys padded to one column; values escaped for a terminal, one line each. */
export function keyValues(pairs: [string, string][]): string {
  const w = pairs.reduce((m, [k]) => (k.length > m ? k.length : m), 0);
  return pairs.map(([k, v]) => `${k.padEnd(w)}  ${escapeForTerminal(v)}`).join('\n') + '\n';
}

/** What a TSV field may not hold raw: the backslash, C0 (tab, CR and newline among them), DEL, C1, U+2028/U+2029, the bidi controls. */
const TSV_UNSAFE = /[\\\u0000-\u001f\u007f-\u009f\u2028-\u202e\u2066-\u2069]/g;

/**
 * Text for one TSV field, escaped the way Zeek's ASCII writer escapes: the backslash and control characters as
 * `\xHH` (a tab is `\x09`, a newline `\x0a`), U+2028/U+2029 and the bidi controls as `\uHHHH`, so a row keeps its
 * fields and a terminal shows the text as it is; reversible, since a backslash is escaped too. Plain text passes
 * after one test.
 */
export function tsvText(s: string): string {
  TSV_UNSAFE.lastIndex = 0;
  if (!TSV_UNSAFE.test(s)) return s;
  TSV_UNSAFE.lastIndex = 0;
  return s.replace(TSV_UNSAFE, visibleEscape);
}

/** A value as a TSV field: `-` unset, `(empty)` for an empty string or list, lists joined by `,` (a comma inside an element as `\x2c`), text by tsvText. */
function tsvField(v: unknown): string {
  if (v === null || v === undefined) return '-';
  if (Array.isArray(v)) return v.length === 0 ? '(empty)' : v.map((x) => tsvField(x).replace(/,/g, '\\x2c')).join(',');
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  if (s === '') return '(empty)';
  return tsvText(s);
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
  return rows.map((r) => jsonText(r)).join('\n') + (rows.length ? '\n' : '');
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
