/** UDP header (RFC 768). */
import { u16, put16, ok, truncated, malformed, type ParseResult } from './bytes.js';

export const field = { SRC_PORT: 0, DST_PORT: 2, LENGTH: 4, CHECKSUM: 6 } as const;
export const HEADER_LEN = 8;

export function srcPort(b: Uint8Array, off: number): number {
  return u16(b, off);
}
export function dstPort(b: Uint8Array, off: number): number {
  return u16(b, off + 2);
}
export function length(b: Uint8Array, off: number): number {
  return u16(b, off + field.LENGTH);
}

export interface UdpRepr {
  srcPort: number;
  dstPort: number;
  length: number;
}

/** Parse the header at b[off, end). The decoder's test oracle: under 8 bytes is truncated, a length 1-7 malformed (the decoder counts it and reads on). */
export function parse(b: Uint8Array, off: number, end: number): ParseResult<UdpRepr> {
  if (end - off < HEADER_LEN) return truncated(`UDP header needs 8 bytes, have ${end - off}`);
  const len = length(b, off);
  // Length 0 is legal for jumbograms (RFC 2675); otherwise it must cover the header.
  if (len !== 0 && len < HEADER_LEN) return malformed(`UDP length ${len} below 8`);
  return ok({ srcPort: srcPort(b, off), dstPort: dstPort(b, off), length: len });
}

export function emit(r: UdpRepr, b: Uint8Array, off: number): number {
  put16(b, off, r.srcPort);
  put16(b, off + 2, r.dstPort);
  put16(b, off + field.LENGTH, r.length);
  put16(b, off + field.CHECKSUM, 0);
  return HEADER_LEN;
}
