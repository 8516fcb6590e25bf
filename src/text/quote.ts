/** How values from an input are echoed in a message: bounded in length, and numbers JSON cannot hold named as such. */

/** Longest echo of an input value in a message, in characters (before the note of the full length). */
export const MAX_ECHO = 120;

/** `text` cut to about `max` characters: the start, an ellipsis, and how long the whole was. */
export function excerpt(text: string, max = MAX_ECHO): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}... (${text.length} characters)`;
}

/** A parsed value as a message shows it: strings quoted, numbers JSON cannot hold named, everything cut to MAX_ECHO. */
export function describeValue(v: unknown): string {
  if (typeof v === 'string') return `'${excerpt(v)}'`;
  if (v === undefined) return 'nothing';
  if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? '(not a number)' : '(a number out of range)';
  if (typeof v === 'bigint') return excerpt(String(v));
  let text: string | undefined;
  try {
    text = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : typeof x === 'bigint' ? String(x) : x));
  } catch {
    text = undefined; // a cycle (YAML aliases), nesting too deep, or a value JSON cannot show
  }
  if (text === undefined) return Array.isArray(v) ? '(a list)' : typeof v === 'object' && v !== null ? '(a mapping)' : excerpt(String(v));
  return excerpt(text);
}
