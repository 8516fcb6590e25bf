/** Growing typed-array columns: the one copy-into-a-larger-array step every growable table uses. */

export type Column = Uint8Array | Uint16Array | Int32Array | Uint32Array | Float64Array;

/** A new array of the same type and `size` elements holding `a`'s values first (size >= a.length). */
export function grown<T extends Column>(a: T, size: number): T {
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a);
  return b;
}
