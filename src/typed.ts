/**
 * Typed-array columns: the one copy-into-a-larger-array step every growable table uses, and the counting sorts that
 * group rows by a dense id without an object or array per row.
 */

export type Column = Uint8Array | Uint16Array | Int32Array | Uint32Array | Float64Array;

/** A new array of the same type and `size` elements holding `a`'s values first (size >= a.length). */
export function grown<T extends Column>(a: T, size: number): T {
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a);
  return b;
}

/** Rows grouped by dense group ids: group g's rows are rows[start[g] .. start[g + 1]), in row order. */
export interface RowGroups {
  count: number;
  start: Int32Array;
  rows: Int32Array;
}

/**
 * A counting sort of rows 0..n-1 into groups 0..count-1 (groupOf[i]; -1 leaves row i out): typed arrays, nothing per
 * row, and each group keeps its rows in order.
 */
export function groupRows(groupOf: Int32Array, count: number): RowGroups {
  const start = new Int32Array(count + 1);
  for (let i = 0; i < groupOf.length; i++) if (groupOf[i]! >= 0) start[groupOf[i]! + 1]!++;
  for (let g = 0; g < count; g++) start[g + 1]! += start[g]!;
  const rows = new Int32Array(start[count]!);
  const fill = start.slice(0, count);
  for (let i = 0; i < groupOf.length; i++) {
    const g = groupOf[i]!;
    if (g >= 0) rows[fill[g]!++] = i;
  }
  return { count, start, rows };
}

/**
 * The rows of one group split by a key of each row (an id below `slots.length`, such as an address id), the parts in
 * the order their key first appears, each in row order; `keys[p]` is part p's key. `slots` is scratch filled with -1
 * and is left so.
 */
export function splitRows(rows: ArrayLike<number>, keyOf: (row: number) => number, slots: Int32Array): RowGroups & { keys: Int32Array } {
  const n = rows.length;
  const keys = new Int32Array(n);
  const part = new Int32Array(n);
  let count = 0;
  for (let k = 0; k < n; k++) {
    const key = keyOf(rows[k]!);
    let p = slots[key]!;
    if (p < 0) {
      slots[key] = p = count;
      keys[count++] = key;
    }
    part[k] = p;
  }
  for (let p = 0; p < count; p++) slots[keys[p]!] = -1;
  const start = new Int32Array(count + 1);
  for (let k = 0; k < n; k++) start[part[k]! + 1]!++;
  for (let p = 0; p < count; p++) start[p + 1]! += start[p]!;
  const out = new Int32Array(n);
  const fill = start.slice(0, count);
  for (let k = 0; k < n; k++) out[fill[part[k]!]!++] = rows[k]!;
  return { count, start, rows: out, keys: keys.subarray(0, count) };
}
