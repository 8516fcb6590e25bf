/**
 * Text from inputs (ACL ids, file names, descriptions) made safe to print on a terminal: control characters that a
 * terminal would act on (ECMA-48 C0 and C1 controls, DEL) and the Unicode bidi overrides and isolates that reorder
 * what is shown (Unicode TR #9, U+202A-U+202E and U+2066-U+2069; the "Trojan Source" characters) become visible
 * escapes such as `\x1b` and `\u202e`. A backslash stays as it is.
 */

/** Characters a terminal must not receive raw: C0 (with \n), DEL, C1, bidi embeddings/overrides, bidi isolates. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
const UNSAFE_KEEP_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

function escapeOne(c: string): string {
  const code = c.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * `text` with every terminal control character written as a visible escape (`\x1b`, `\x9b`, `\u202e`). A newline is
 * escaped too (one-line messages), unless `keepNewlines` is set for multi-line output. Plain text passes unchanged.
 */
export function escapeForTerminal(text: string, opts: { keepNewlines?: boolean } = {}): string {
  const re = opts.keepNewlines ? UNSAFE_KEEP_NEWLINE : UNSAFE;
  re.lastIndex = 0;
  if (!re.test(text)) return text;
  re.lastIndex = 0;
  return text.replace(re, escapeOne);
}
