/**
 * GRE header (RFC 2784; key and sequence number RFC 2890; version 1, PPTP's enhanced GRE, RFC 2637 4.1): a 16-bit
 * flags-and-version word and the payload's protocol type (an EtherType), then, each when its bit is set, checksum
 * and reserved (4 bytes), key (4), sequence number (4) and, in version 1, acknowledgment number (4).
 * A view over bytes it does not own.
 */
import { u16, u32, put16, put32, ok, truncated, malformed, type ParseResult } from './bytes.js';

export const field = { FLAGS_VERSION: 0, PROTOCOL: 2, OPTIONAL: 4 } as const;
export const BASE_LEN = 4;

/** Bits of the flags-and-version word. RFC 1701's routing bit is refused (RFC 2784 deprecates it, Linux too). */
export const GreFlag = {
  CHECKSUM: 0x8000,
  ROUTING: 0x4000,
  KEY: 0x2000,
  SEQUENCE: 0x1000,
  STRICT_ROUTE: 0x0800,
  RECURSION: 0x0700,
  ACK: 0x0080, // version 1 only
  VERSION: 0x0007,
} as const;

export function flagsVersion(b: Uint8Array, off: number): number {
  return u16(b, off);
}
export function version(b: Uint8Array, off: number): number {
  return b[off + 1]! & 0x07;
}
/** EtherType of the payload. */
export function protocolType(b: Uint8Array, off: number): number {
  return u16(b, off + field.PROTOCOL);
}

/**
 * Header length from the flag bits, or -1 for a header the decoder does not read: a version other than 0 and 1, the
 * routing bit, or a version-1 header without its mandatory key or with a checksum (RFC 2637 4.1).
 */
export function headerLen(b: Uint8Array, off: number): number {
  const fv = u16(b, off);
  const ver = fv & GreFlag.VERSION;
  if (ver > 1 || (fv & GreFlag.ROUTING) !== 0) return -1;
  if (ver === 1 && ((fv & GreFlag.KEY) === 0 || (fv & GreFlag.CHECKSUM) !== 0)) return -1;
  let n = BASE_LEN;
  if (fv & GreFlag.CHECKSUM) n += 4;
  if (fv & GreFlag.KEY) n += 4;
  if (fv & GreFlag.SEQUENCE) n += 4;
  if (ver === 1 && (fv & GreFlag.ACK) !== 0) n += 4;
  return n;
}

/** The key (valid when the K bit is set). In version 1 it is the payload length (high 16 bits) and the call id. */
export function key(b: Uint8Array, off: number): number {
  return u32(b, off + BASE_LEN + ((b[off]! & 0x80) !== 0 ? 4 : 0));
}
/** The sequence number (valid when the S bit is set). */
export function sequence(b: Uint8Array, off: number): number {
  const fv = u16(b, off);
  return u32(b, off + BASE_LEN + (fv & GreFlag.CHECKSUM ? 4 : 0) + (fv & GreFlag.KEY ? 4 : 0));
}

/** Validated meaning of a GRE header. `otherFlags` keeps the strict-route, recursion and reserved bits as they were. */
export interface GreRepr {
  version: number;
  protocolType: number;
  checksum: number | null;
  key: number | null;
  sequence: number | null;
  ack: number | null;
  otherFlags: number;
}

/**
 * Parse the header at b[off, end). The decoder's test oracle: the decoder opens a GRE payload when this returns ok
 * (and the protocol type is one it knows), counts `malformed` as bad-tunnel-header, and a cut header as truncated.
 */
export function parse(b: Uint8Array, off: number, end: number): ParseResult<GreRepr> {
  if (end - off < BASE_LEN) return truncated(`GRE header needs ${BASE_LEN} bytes, have ${end - off}`);
  const hl = headerLen(b, off);
  const fv = u16(b, off);
  if (hl < 0) return malformed(`GRE flags and version 0x${fv.toString(16).padStart(4, '0')} are not RFC 2784/2890/2637`);
  if (end - off < hl) return truncated(`GRE header needs ${hl} bytes, have ${end - off}`);
  let o = off + BASE_LEN;
  const take = (bit: number): number | null => {
    if ((fv & bit) === 0) return null;
    const v = u32(b, o);
    o += 4;
    return v;
  };
  const checksum = take(GreFlag.CHECKSUM);
  const k = take(GreFlag.KEY);
  const s = take(GreFlag.SEQUENCE);
  const a = (fv & GreFlag.VERSION) === 1 ? take(GreFlag.ACK) : null;
  return ok({
    version: fv & GreFlag.VERSION,
    protocolType: protocolType(b, off),
    checksum: checksum === null ? null : checksum >>> 16,
    key: k,
    sequence: s,
    ack: a,
    otherFlags: fv & (GreFlag.STRICT_ROUTE | GreFlag.RECURSION | 0x0078 | ((fv & GreFlag.VERSION) === 1 ? 0 : GreFlag.ACK)),
  });
}

/** Bytes emit() writes for `r`. */
export function emittedLen(r: GreRepr): number {
  return BASE_LEN + (r.checksum !== null ? 4 : 0) + (r.key !== null ? 4 : 0) + (r.sequence !== null ? 4 : 0) + (r.version === 1 && r.ack !== null ? 4 : 0);
}

/** Write the header at `off` (the checksum as given, not computed); returns its length. */
export function emit(r: GreRepr, b: Uint8Array, off: number): number {
  let fv = (r.version & 7) | r.otherFlags;
  if (r.checksum !== null) fv |= GreFlag.CHECKSUM;
  if (r.key !== null) fv |= GreFlag.KEY;
  if (r.sequence !== null) fv |= GreFlag.SEQUENCE;
  if (r.version === 1 && r.ack !== null) fv |= GreFlag.ACK;
  put16(b, off, fv);
  put16(b, off + field.PROTOCOL, r.protocolType);
  let o = off + BASE_LEN;
  if (r.checksum !== null) {
    put32(b, o, (r.checksum & 0xffff) << 16);
    o += 4;
  }
  if (r.key !== null) {
    put32(b, o, r.key);
    o += 4;
  }
  if (r.sequence !== null) {
    put32(b, o, r.sequence);
    o += 4;
  }
  if (r.version === 1 && r.ack !== null) {
    put32(b, o, r.ack);
    o += 4;
  }
  return o - off;
}
