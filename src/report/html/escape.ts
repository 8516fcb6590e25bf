/**
 * Markup built so that input can never become markup: `html` templates escape every interpolated value unless it
 * is already Html, so a string from a capture or an ACL file can only ever end up as text (in elements and in
 * double-quoted attributes alike). The only way to trusted markup is `trusted()`, used for constant strings.
 */
import { visibleEscape } from '../../text/terminal.js';

/** Markup that is safe to emit as it is. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** What a template accepts: markup, text (escaped), numbers, and nothing (null, undefined, false render as ''). */
export type Part = Html | string | number | boolean | null | undefined | readonly Part[];

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

/**
 * What text may not hold raw: the markup characters, and what the terminal escaping neutralises (C0 but the newline,
 * which tooltips use; DEL; C1; U+2028/U+2029; the bidi embeddings, overrides and isolates U+202A-U+202E and
 * U+2066-U+2069, which would reorder the text shown around them: Unicode TR #9).
 */
const UNSAFE = /[&<>"'`\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028-\u202e\u2066-\u2069]/g;

function escapeOne(c: string): string {
  return ENTITIES[c] ?? visibleEscape(c);
}

/**
 * Text for an element body or a quoted attribute value (HTML and SVG alike): markup characters as entities, control
 * and bidi characters as the visible escapes a terminal shows (`\x1b`, `\u202e`).
 */
export function escapeHtml(text: string): string {
  return text.replace(UNSAFE, escapeOne);
}

function partText(p: Part): string {
  if (p instanceof Html) return p.text;
  if (p === null || p === undefined || p === false || p === true) return '';
  if (typeof p === 'number') return Number.isFinite(p) ? String(p) : '';
  if (typeof p === 'string') return escapeHtml(p);
  let out = '';
  for (const x of p) out += partText(x);
  return out;
}

/** Tagged template: the literal parts are markup, every `${value}` is escaped (arrays are joined, Html passes). */
export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += partText(values[i]!) + strings[i + 1]!;
  return new Html(out);
}

/** Constant markup written in this module tree (never input). */
export function trusted(markup: string): Html {
  return new Html(markup);
}

/** Parts joined with a separator (the separator is text unless it is Html). */
export function joinParts(parts: readonly Part[], sep: Part = ''): Html {
  let out = '';
  parts.forEach((p, i) => {
    if (i > 0) out += partText(sep);
    out += partText(p);
  });
  return new Html(out);
}

/** A coordinate for SVG: at most one decimal, no "-0". */
export function num(x: number): string {
  const r = Math.round(x * 10) / 10;
  return Object.is(r, -0) ? '0' : String(r);
}

/** Thousands separators for counts ("12,345"). */
export function count(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Estimated width of text in an SVG at a font size (DejaVu Sans / Helvetica metrics, slightly generous). */
export function textWidth(text: string, fontSize: number): number {
  let w = 0;
  for (const ch of text) w += /[0-9]/.test(ch) ? 0.64 : /[ il.,:;'|!]/.test(ch) ? 0.32 : /[A-Z@mwMW%]/.test(ch) ? 0.78 : 0.6;
  return w * fontSize;
}
