/**
 * IPv6 header (RFC 8200) and its extension-header chain: hop-by-hop (0), routing (43), fragment (44),
 * destination options (60), AH (51, RFC 4302: length in 4-octet units), mobility (135).
 */
import { u16, u32, put16, put32, ok, truncated, malformed, type ParseResult } from './bytes.js';
import { IpProtocol } from './ipproto.js';

export const field = { VER_TC_FLOW: 0, PAYLOAD_LEN: 4, NEXT_HEADER: 6, HOP_LIMIT: 7, SRC: 8, DST: 24 } as const;
export const HEADER_LEN = 40;

/** Extension header numbers (IANA "IPv6 Extension Header Types"): IP protocol numbers, from ipproto.ts. */
export const ExtHeader = {
  HOP_BY_HOP: IpProtocol.HOPOPT,
  ROUTING: IpProtocol.IPV6_ROUTE,
  FRAGMENT: IpProtocol.IPV6_FRAG,
  ESP: IpProtocol.ESP,
  AH: IpProtocol.AH,
  NO_NEXT: IpProtocol.IPV6_NONXT,
  DEST_OPTS: IpProtocol.IPV6_OPTS,
  MOBILITY: IpProtocol.MOBILITY,
  HIP: IpProtocol.HIP,
  SHIM6: IpProtocol.SHIM6,
} as const;

export function version(b: Uint8Array, off: number): number {
  return b[off]! >>> 4;
}
export function payloadLen(b: Uint8Array, off: number): number {
  return u16(b, off + field.PAYLOAD_LEN);
}
export function nextHeader(b: Uint8Array, off: number): number {
  return b[off + field.NEXT_HEADER]!;
}
export function hopLimit(b: Uint8Array, off: number): number {
  return b[off + field.HOP_LIMIT]!;
}
/** Address word `w` (0..3) of the source, big-endian. */
export function srcWord(b: Uint8Array, off: number, w: number): number {
  return u32(b, off + field.SRC + 4 * w);
}
export function dstWord(b: Uint8Array, off: number, w: number): number {
  return u32(b, off + field.DST + 4 * w);
}

/** True for the extension headers whose length we know how to skip. */
export function isExtension(nh: number): boolean {
  return (
    nh === ExtHeader.HOP_BY_HOP || nh === ExtHeader.ROUTING || nh === ExtHeader.FRAGMENT || nh === ExtHeader.DEST_OPTS ||
    nh === ExtHeader.AH || nh === ExtHeader.MOBILITY || nh === ExtHeader.HIP || nh === ExtHeader.SHIM6
  );
}

/** Length in bytes of the extension header at `off` (not the fragment header, which is always 8). */
export function extensionLen(nh: number, b: Uint8Array, off: number): number {
  if (nh === ExtHeader.FRAGMENT) return 8;
  if (nh === ExtHeader.AH) return (b[off + 1]! + 2) << 2;
  return (b[off + 1]! + 1) << 3;
}

/** Fragment header fields (RFC 8200 4.5). */
export function fragOffset(b: Uint8Array, off: number): number {
  return u16(b, off + 2) & 0xfff8;
}
export function fragMore(b: Uint8Array, off: number): boolean {
  return (b[off + 3]! & 1) !== 0;
}
export function fragIdent(b: Uint8Array, off: number): number {
  return u32(b, off + 4);
}

/** Validated meaning of an IPv6 header and its extension chain. Addresses as four 32-bit words. */
export interface Ipv6Repr {
  trafficClass: number;
  flowLabel: number;
  payloadLen: number;
  nextHeader: number;
  hopLimit: number;
  src: [number, number, number, number];
  dst: [number, number, number, number];
  /** Extension headers in order, with their lengths. */
  extensions: { type: number; len: number }[];
  /** The upper-layer protocol after the chain, and where it starts relative to the IPv6 header. */
  upperProtocol: number;
  upperOffset: number;
  fragment?: { offset: number; more: boolean; ident: number };
}

/**
 * Parse the header and its extension chain at b[off, end), the packet ending on the wire at `wireEnd` (unknown:
 * Infinity). The decoder's test oracle, with its rules: a cut fixed header or extension header is truncated; a
 * version other than 6, a payload length beyond the bytes on the wire, more than 16 extension headers, or one that
 * runs past the payload is malformed. Payload length 0 (jumbogram, big TCP) takes the payload to the wire's end.
 */
export function parse(b: Uint8Array, off: number, end: number, wireEnd = Infinity): ParseResult<Ipv6Repr> {
  if (end - off < HEADER_LEN) return truncated(`IPv6 header needs 40 bytes, have ${end - off}`);
  if (version(b, off) !== 6) return malformed(`IP version ${version(b, off)}, expected 6`);
  const plen = payloadLen(b, off);
  if (plen > wireEnd - off - HEADER_LEN) return malformed(`IPv6 payload length ${plen} exceeds the ${wireEnd - off - HEADER_LEN} bytes on the wire`);
  const payloadEnd = plen === 0 ? wireEnd : off + HEADER_LEN + plen;
  const w0 = u32(b, off);
  const r: Ipv6Repr = {
    trafficClass: (w0 >>> 20) & 0xff,
    flowLabel: w0 & 0xfffff,
    payloadLen: payloadLen(b, off),
    nextHeader: nextHeader(b, off),
    hopLimit: hopLimit(b, off),
    src: [srcWord(b, off, 0), srcWord(b, off, 1), srcWord(b, off, 2), srcWord(b, off, 3)],
    dst: [dstWord(b, off, 0), dstWord(b, off, 1), dstWord(b, off, 2), dstWord(b, off, 3)],
    extensions: [],
    upperProtocol: 0,
    upperOffset: HEADER_LEN,
  };
  let nh = r.nextHeader;
  let p = off + HEADER_LEN;
  let guard = 0;
  while (isExtension(nh)) {
    if (++guard > 16) return malformed('more than 16 IPv6 extension headers');
    // as the decoder: fewer than 8 bytes of the header within the capture and the payload is a cut
    if (Math.min(end, payloadEnd) - p < 8) return truncated(`IPv6 extension header ${nh} needs 8 bytes, have ${Math.min(end, payloadEnd) - p}`);
    const len = extensionLen(nh, b, p);
    if (nh === ExtHeader.FRAGMENT) r.fragment = { offset: fragOffset(b, p), more: fragMore(b, p), ident: fragIdent(b, p) };
    if (p + len > payloadEnd) return malformed(`IPv6 extension header ${nh} runs past the payload`);
    if (end - p < len) return truncated(`IPv6 extension header ${nh} needs ${len} bytes, have ${end - p}`);
    r.extensions.push({ type: nh, len });
    const next = b[p]!;
    p += len;
    nh = next;
    if (r.fragment && r.fragment.offset !== 0) break;
  }
  r.upperProtocol = nh;
  r.upperOffset = p - off;
  return ok(r);
}

/** Write the fixed header (no extensions) at `off`. */
export function emit(r: Ipv6Repr, b: Uint8Array, off: number): number {
  put32(b, off, (6 << 28) | ((r.trafficClass & 0xff) << 20) | (r.flowLabel & 0xfffff));
  put16(b, off + field.PAYLOAD_LEN, r.payloadLen);
  b[off + field.NEXT_HEADER] = r.nextHeader;
  b[off + field.HOP_LIMIT] = r.hopLimit;
  for (let i = 0; i < 4; i++) {
    put32(b, off + field.SRC + 4 * i, r.src[i]!);
    put32(b, off + field.DST + 4 * i, r.dst[i]!);
  }
  return HEADER_LEN;
}

/** RFC 5952 text of an address given as four 32-bit words. */
export function formatAddress(w0: number, w1: number, w2: number, w3: number): string {
  const g = [w0 >>> 16, w0 & 0xffff, w1 >>> 16, w1 & 0xffff, w2 >>> 16, w2 & 0xffff, w3 >>> 16, w3 & 0xffff];
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${g[6]! >>> 8}.${g[6]! & 0xff}.${g[7]! >>> 8}.${g[7]! & 0xff}`;
  }
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(g);
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLen))}`;
}

/** Parse RFC 4291 text (including an embedded dotted quad) into four words; null when invalid. */
export function parseAddress(s: string): [number, number, number, number] | null {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || s.length < 2) return null;
  let text = s;
  if (text.indexOf('.') >= 0) {
    const lastColon = text.lastIndexOf(':');
    const quad = text.slice(lastColon + 1).split('.');
    if (lastColon < 0 || quad.length !== 4 || !quad.every((q) => /^\d{1,3}$/.test(q) && Number(q) <= 255)) return null;
    const o = quad.map(Number);
    text = `${text.slice(0, lastColon + 1)}${((o[0]! << 8) | o[1]!).toString(16)}:${((o[2]! << 8) | o[3]!).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groupsOf = (h: string): number[] | null => {
    if (h === '') return [];
    const out: number[] = [];
    for (const p of h.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return null;
      out.push(parseInt(p, 16));
    }
    return out;
  };
  const head = groupsOf(halves[0]!);
  const rest = halves.length === 2 ? groupsOf(halves[1]!) : [];
  if (!head || !rest) return null;
  const total = head.length + rest.length;
  let groups: number[];
  if (halves.length === 2) {
    if (total > 7) return null;
    groups = [...head, ...new Array<number>(8 - total).fill(0), ...rest];
  } else {
    if (total !== 8) return null;
    groups = head;
  }
  return [
    ((groups[0]! << 16) | groups[1]!) >>> 0,
    ((groups[2]! << 16) | groups[3]!) >>> 0,
    ((groups[4]! << 16) | groups[5]!) >>> 0,
    ((groups[6]! << 16) | groups[7]!) >>> 0,
  ];
}
