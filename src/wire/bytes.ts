/** Big-endian field reads over a byte array; network byte order (RFC 1700). No allocation, no bounds checks. */

/** Unsigned 16-bit big-endian at `off`. */
export function u16(b: Uint8Array, off: number): number {
  return (b[off]! << 8) | b[off + 1]!;
}

/** Unsigned 32-bit big-endian at `off`. */
export function u32(b: Uint8Array, off: number): number {
  return ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
}

/** Write unsigned 16-bit big-endian. */
export function put16(b: Uint8Array, off: number, v: number): void {
  b[off] = (v >>> 8) & 0xff;
  b[off + 1] = v & 0xff;
}

/** Write unsigned 32-bit big-endian. */
export function put32(b: Uint8Array, off: number, v: number): void {
  b[off] = (v >>> 24) & 0xff;
  b[off + 1] = (v >>> 16) & 0xff;
  b[off + 2] = (v >>> 8) & 0xff;
  b[off + 3] = v & 0xff;
}

/** Outcome of parsing a header into its Repr: the value, or why not. Truncated is not the same as malformed. */
export type ParseResult<T> =
  | { ok: true; value: T }
  | { ok: false; error: 'truncated' | 'malformed'; reason: string };

/** Shorthand constructors for ParseResult. */
export function ok<T>(value: T): ParseResult<T> {
  return { ok: true, value };
}
export function truncated<T>(reason: string): ParseResult<T> {
  return { ok: false, error: 'truncated', reason };
}
export function malformed<T>(reason: string): ParseResult<T> {
  return { ok: false, error: 'malformed', reason };
}

/** RFC 1071 Internet checksum over b[off, end), starting from `sum`. */
export function inetChecksum(b: Uint8Array, off: number, end: number, sum = 0): number {
  let s = sum;
  let i = off;
  for (; i + 1 < end; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  if (i < end) s += b[i]! << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}
