/** IPv4 header (RFC 791). A view over bytes it does not own; options are skipped by IHL. */
import { u16, u32, put16, put32, inetChecksum, ok, truncated, malformed, type ParseResult } from './bytes.js';

export const field = {
  VER_IHL: 0,
  DSCP_ECN: 1,
  TOTAL_LEN: 2,
  IDENT: 4,
  FLAGS_FRAG: 6,
  TTL: 8,
  PROTOCOL: 9,
  CHECKSUM: 10,
  SRC: 12,
  DST: 16,
} as const;
export const MIN_HEADER_LEN = 20;

/** IP protocol numbers: one definition, in ipproto.ts. */
export { IpProtocol } from './ipproto.js';

const MF = 0x2000;
const DF = 0x4000;

export function version(b: Uint8Array, off: number): number {
  return b[off]! >>> 4;
}
/** Header length in bytes (IHL * 4). */
export function headerLen(b: Uint8Array, off: number): number {
  return (b[off]! & 0x0f) << 2;
}
export function totalLen(b: Uint8Array, off: number): number {
  return u16(b, off + field.TOTAL_LEN);
}
export function ident(b: Uint8Array, off: number): number {
  return u16(b, off + field.IDENT);
}
/** More-fragments flag. */
export function moreFragments(b: Uint8Array, off: number): boolean {
  return (u16(b, off + field.FLAGS_FRAG) & MF) !== 0;
}
export function dontFragment(b: Uint8Array, off: number): boolean {
  return (u16(b, off + field.FLAGS_FRAG) & DF) !== 0;
}
/** Fragment offset in bytes. */
export function fragOffset(b: Uint8Array, off: number): number {
  return (u16(b, off + field.FLAGS_FRAG) & 0x1fff) << 3;
}
export function ttl(b: Uint8Array, off: number): number {
  return b[off + field.TTL]!;
}
export function protocol(b: Uint8Array, off: number): number {
  return b[off + field.PROTOCOL]!;
}
export function src(b: Uint8Array, off: number): number {
  return u32(b, off + field.SRC);
}
export function dst(b: Uint8Array, off: number): number {
  return u32(b, off + field.DST);
}

/** Validated meaning of an IPv4 header. Addresses are unsigned 32-bit numbers. */
export interface Ipv4Repr {
  headerLen: number;
  dscpEcn: number;
  totalLen: number;
  ident: number;
  dontFragment: boolean;
  moreFragments: boolean;
  fragOffset: number;
  ttl: number;
  protocol: number;
  src: number;
  dst: number;
  options?: number[];
}

/**
 * Parse the header at b[off, end), the datagram ending on the wire at `wireEnd` (unknown: Infinity). The decoder's
 * test oracle, with its rules: a header cut by the capture is truncated; a version other than 4, an IHL below 5, or
 * a total length below the header length is malformed, and so is a total length beyond the bytes on the wire (the
 * decoder counts it and reads on; inside a tunnel it passes no wire end, as a mirror's cut is not malformed). A
 * total length beyond `end` but not beyond the wire is a cut payload, no error; 0 is accepted (TSO/GSO).
 */
export function parse(b: Uint8Array, off: number, end: number, wireEnd = Infinity): ParseResult<Ipv4Repr> {
  if (end - off < MIN_HEADER_LEN) return truncated(`IPv4 header needs 20 bytes, have ${end - off}`);
  if (version(b, off) !== 4) return malformed(`IP version ${version(b, off)}, expected 4`);
  const hl = headerLen(b, off);
  if (hl < MIN_HEADER_LEN) return malformed(`IPv4 IHL ${hl >> 2} below 5`);
  if (end - off < hl) return truncated(`IPv4 header with options needs ${hl} bytes, have ${end - off}`);
  const tl = totalLen(b, off);
  if (tl !== 0 && tl < hl) return malformed(`IPv4 total length ${tl} below header length ${hl}`);
  if (tl > wireEnd - off) return malformed(`IPv4 total length ${tl} exceeds the ${wireEnd - off} bytes on the wire`);
  return ok({
    headerLen: hl,
    dscpEcn: b[off + 1]!,
    totalLen: tl,
    ident: ident(b, off),
    dontFragment: dontFragment(b, off),
    moreFragments: moreFragments(b, off),
    fragOffset: fragOffset(b, off),
    ttl: ttl(b, off),
    protocol: protocol(b, off),
    src: src(b, off),
    dst: dst(b, off),
    options: hl > MIN_HEADER_LEN ? Array.from(b.subarray(off + MIN_HEADER_LEN, off + hl)) : [],
  });
}

/** Write the header (with a correct checksum) at `off`; returns the header length. */
export function emit(r: Ipv4Repr, b: Uint8Array, off: number): number {
  const opts = r.options ?? [];
  const hl = MIN_HEADER_LEN + ((opts.length + 3) & ~3);
  b[off] = 0x40 | (hl >> 2);
  b[off + 1] = r.dscpEcn;
  put16(b, off + field.TOTAL_LEN, r.totalLen);
  put16(b, off + field.IDENT, r.ident);
  put16(b, off + field.FLAGS_FRAG, (r.dontFragment ? DF : 0) | (r.moreFragments ? MF : 0) | ((r.fragOffset >> 3) & 0x1fff));
  b[off + field.TTL] = r.ttl;
  b[off + field.PROTOCOL] = r.protocol;
  put16(b, off + field.CHECKSUM, 0);
  put32(b, off + field.SRC, r.src);
  put32(b, off + field.DST, r.dst);
  b.fill(0, off + MIN_HEADER_LEN, off + hl);
  opts.forEach((v, i) => (b[off + MIN_HEADER_LEN + i] = v));
  put16(b, off + field.CHECKSUM, inetChecksum(b, off, off + hl));
  return hl;
}

/** Dotted-quad text of an unsigned 32-bit address. */
export function formatAddress(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 0xff}.${(a >>> 8) & 0xff}.${a & 0xff}`;
}

/** Parse dotted-quad text; returns -1 when it is not an IPv4 address. */
export function parseAddress(s: string): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return -1;
  let a = 0;
  for (let i = 1; i <= 4; i++) {
    const o = Number(m[i]);
    if (o > 255 || (m[i]!.length > 1 && m[i]![0] === '0')) return -1;
    a = a * 256 + o;
  }
  return a;
}
