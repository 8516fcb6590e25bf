/**
 * VXLAN header (RFC 7348 section 5): flags (the I bit, 0x08, says the VNI is valid), 24 reserved bits, the 24-bit
 * VXLAN Network Identifier, 8 reserved bits; an Ethernet frame follows. AWS VPC Traffic Mirroring sends it to UDP
 * 4789 with the session's VNI. A view over bytes it does not own.
 */
import { u32, put32, ok, truncated, malformed, type ParseResult } from './bytes.js';

/** Byte ranges of the header. */
export const field = { FLAGS: 0, RESERVED1: 1, VNI: 4, RESERVED2: 7, PAYLOAD: 8 } as const;
export const HEADER_LEN = 8;
/** IANA-assigned UDP destination port (RFC 7348 section 5). */
export const UDP_PORT = 4789;
/** The I flag: the VNI is valid. */
export const FLAG_I = 0x08;

export function flags(b: Uint8Array, off: number): number {
  return b[off + field.FLAGS]!;
}
/** The VXLAN Network Identifier (24 bits). */
export function vni(b: Uint8Array, off: number): number {
  return u32(b, off + field.VNI) >>> 8;
}

/**
 * True for a header as RFC 7348 sends it: the I flag set and every reserved bit zero. RFC 7348 tells receivers to
 * ignore reserved bits; the decoder does not, so that ordinary traffic to port 4789 is not opened as VXLAN (a random
 * payload passes with probability 2^-40). VXLAN-GPE and group-policy headers set bits this refuses.
 */
export function isStrict(b: Uint8Array, off: number): boolean {
  return b[off] === FLAG_I && b[off + 1] === 0 && b[off + 2] === 0 && b[off + 3] === 0 && b[off + 7] === 0;
}

/** Validated meaning of a VXLAN header. */
export interface VxlanRepr {
  vni: number;
}

/**
 * Parse the header at b[off, end). The decoder's test oracle: the decoder opens a datagram to a VXLAN port exactly
 * when this returns ok (isStrict), counts a cut header as truncated, and judges anything else as the UDP it is.
 */
export function parse(b: Uint8Array, off: number, end: number): ParseResult<VxlanRepr> {
  if (end - off < HEADER_LEN) return truncated(`VXLAN header needs ${HEADER_LEN} bytes, have ${end - off}`);
  if ((b[off]! & FLAG_I) === 0) return malformed('VXLAN I flag is clear');
  if (!isStrict(b, off)) return malformed('VXLAN reserved bits are set');
  return ok({ vni: vni(b, off) });
}

/** Write the header at `off`; returns its length. */
export function emit(r: VxlanRepr, b: Uint8Array, off: number): number {
  put32(b, off, FLAG_I << 24);
  put32(b, off + field.VNI, (r.vni & 0xffffff) << 8);
  return HEADER_LEN;
}
