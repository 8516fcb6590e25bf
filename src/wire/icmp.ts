/**
 * ICMP (RFC 792) and ICMPv6 (RFC 4443) headers: type, code, echo identifier, and the invoking packet quoted by
 * error messages (destination unreachable, time exceeded, parameter problem, packet too big).
 */
import { u16, put16, ok, truncated, type ParseResult } from './bytes.js';

export const field = { TYPE: 0, CODE: 1, CHECKSUM: 2, IDENT: 4, SEQ: 6, QUOTED: 8 } as const;
export const HEADER_LEN = 8;

export const Icmp4Type = {
  ECHO_REPLY: 0,
  DEST_UNREACHABLE: 3,
  SOURCE_QUENCH: 4,
  REDIRECT: 5,
  ECHO_REQUEST: 8,
  TIME_EXCEEDED: 11,
  PARAMETER_PROBLEM: 12,
  TIMESTAMP: 13,
  TIMESTAMP_REPLY: 14,
} as const;
/** Code of type 3 that path MTU discovery depends on (RFC 1191). */
export const FRAGMENTATION_NEEDED = 4;

export const Icmp6Type = {
  DEST_UNREACHABLE: 1,
  PACKET_TOO_BIG: 2,
  TIME_EXCEEDED: 3,
  PARAMETER_PROBLEM: 4,
  ECHO_REQUEST: 128,
  ECHO_REPLY: 129,
} as const;

export function type(b: Uint8Array, off: number): number {
  return b[off]!;
}
export function code(b: Uint8Array, off: number): number {
  return b[off + 1]!;
}
export function ident(b: Uint8Array, off: number): number {
  return u16(b, off + field.IDENT);
}
export function sequence(b: Uint8Array, off: number): number {
  return u16(b, off + field.SEQ);
}

/*
 * Message classes. RFC 792 gives five error messages that quote the invoking datagram (destination unreachable 3,
 * source quench 4, redirect 5, time exceeded 11, parameter problem 12) and three query pairs whose identifier and
 * sequence number (offset 4) match a reply to its request: echo 8/0, timestamp 13/14, information 15/16; RFC 950
 * adds address mask 17/18 with the same layout. RFC 4443: types 0-127 are errors, echo 128/129 is the query pair.
 * The one definition: the decoder reads the identifier of every query, the flow table pairs request and reply.
 */

/** ICMPv4 error messages, which quote the invoking datagram's header after 8 bytes. */
export function isError4(t: number): boolean {
  return t === 3 || t === 4 || t === 5 || t === 11 || t === 12;
}
/** ICMPv6 error messages (types 0..127), which quote as much of the invoking packet as fits. */
export function isError6(t: number): boolean {
  return t < 128;
}
/** Echo request/reply proper. */
export function isEcho4(t: number): boolean {
  return t === 0 || t === 8;
}
export function isEcho6(t: number): boolean {
  return t === 128 || t === 129;
}
/** ICMPv4 query messages (request or reply) paired by their identifier. */
export function isQuery4(t: number): boolean {
  return t === 0 || t === 8 || (t >= 13 && t <= 18);
}
/** ICMPv6 query messages paired by their identifier. */
export function isQuery6(t: number): boolean {
  return t === 128 || t === 129;
}
/** The request half of an ICMPv4 query pair. */
export function isRequest4(t: number): boolean {
  return t === 8 || t === 13 || t === 15 || t === 17;
}
/** The request half of an ICMPv6 query pair. */
export function isRequest6(t: number): boolean {
  return t === 128;
}
/** By IP protocol (1 = ICMP, 58 = ICMPv6): an error message. */
export function isError(proto: number, t: number): boolean {
  return proto === 1 ? isError4(t) : isError6(t);
}
/** By IP protocol: a query (request or reply) whose identifier pairs the two directions. */
export function isQuery(proto: number, t: number): boolean {
  return proto === 1 ? isQuery4(t) : isQuery6(t);
}
/** By IP protocol: the request of a query pair. */
export function isRequest(proto: number, t: number): boolean {
  return proto === 1 ? isRequest4(t) : isRequest6(t);
}

export interface IcmpRepr {
  type: number;
  code: number;
  ident: number;
  sequence: number;
}

/** Parse the header at b[off, end). The decoder's test oracle: under 4 bytes is truncated; identifier and sequence need 8. */
export function parse(b: Uint8Array, off: number, end: number): ParseResult<IcmpRepr> {
  if (end - off < 4) return truncated(`ICMP header needs 4 bytes, have ${end - off}`);
  const rest = end - off >= HEADER_LEN;
  return ok({ type: type(b, off), code: code(b, off), ident: rest ? ident(b, off) : 0, sequence: rest ? sequence(b, off) : 0 });
}

export function emit(r: IcmpRepr, b: Uint8Array, off: number): number {
  b[off] = r.type;
  b[off + 1] = r.code;
  put16(b, off + field.CHECKSUM, 0);
  put16(b, off + field.IDENT, r.ident);
  put16(b, off + field.SEQ, r.sequence);
  return HEADER_LEN;
}
