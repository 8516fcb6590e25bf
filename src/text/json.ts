/**
 * JSON text as the CLI writes it: JSON.stringify's text, with the characters it leaves raw that a terminal or a line
 * splitter would act on written as `\uXXXX` escapes: DEL and the C1 controls (U+0080-U+009F, among them CSI U+009B
 * and NEL U+0085), the line and paragraph separators U+2028/U+2029 (line breaks to JavaScript before ES2019 and to
 * Python's str.splitlines), and the bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069). The value
 * is unchanged (JSON.parse gives back the exact string; RFC 8259 section 7 allows any character escaped), and C0 is
 * already escaped by JSON.stringify. These characters can only stand inside JSON strings, so the text is escaped as a
 * whole; plain text passes unchanged after one test.
 */

const RAW_IN_JSON = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function unicodeEscape(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** JSON text (from JSON.stringify) with DEL, C1, U+2028/U+2029 and the bidi controls written as \uXXXX escapes. */
export function escapeJsonText(text: string): string {
  RAW_IN_JSON.lastIndex = 0;
  if (!RAW_IN_JSON.test(text)) return text;
  RAW_IN_JSON.lastIndex = 0;
  return text.replace(RAW_IN_JSON, unicodeEscape);
}

/** JSON.stringify(value, null, indent), escaped by escapeJsonText. */
export function jsonText(value: unknown, indent?: number): string {
  return escapeJsonText(JSON.stringify(value, null, indent));
}
