/** TCP header (RFC 9293) with its options: MSS (2), window scale (3, RFC 7323), SACK-permitted (4, RFC 2018), timestamps (8). */
import { u16, u32, put16, put32, ok, truncated, malformed, type ParseResult } from './bytes.js';

export const field = { SRC_PORT: 0, DST_PORT: 2, SEQ: 4, ACK: 8, OFF_FLAGS: 12, FLAGS: 13, WINDOW: 14, CHECKSUM: 16, URGENT: 18 } as const;
export const MIN_HEADER_LEN = 20;

/** Flag bits as stored in the 9-bit flags field; AE (formerly NS, RFC 3540/AccECN) is bit 8. */
export const TcpFlag = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20, ECE: 0x40, CWR: 0x80, AE: 0x100 } as const;

/** Option kinds (IANA "TCP Option Kind Numbers"). */
export const TcpOption = { EOL: 0, NOP: 1, MSS: 2, WSCALE: 3, SACK_PERMITTED: 4, SACK: 5, TIMESTAMP: 8, MPTCP: 30, FASTOPEN: 34 } as const;

export function srcPort(b: Uint8Array, off: number): number {
  return u16(b, off);
}
export function dstPort(b: Uint8Array, off: number): number {
  return u16(b, off + 2);
}
export function seq(b: Uint8Array, off: number): number {
  return u32(b, off + field.SEQ);
}
export function ack(b: Uint8Array, off: number): number {
  return u32(b, off + field.ACK);
}
/** Header length in bytes (data offset * 4). */
export function headerLen(b: Uint8Array, off: number): number {
  return (b[off + field.OFF_FLAGS]! >>> 4) << 2;
}
/** The nine flag bits. */
export function flags(b: Uint8Array, off: number): number {
  return ((b[off + field.OFF_FLAGS]! & 1) << 8) | b[off + field.FLAGS]!;
}
export function window(b: Uint8Array, off: number): number {
  return u16(b, off + field.WINDOW);
}

/** Compact code per option kind for the option-layout signature (p0f-style): M N W S T E, 7 = other. */
export function optionCode(kind: number): number {
  switch (kind) {
    case 2: return 1; // MSS
    case 1: return 2; // NOP
    case 3: return 3; // window scale
    case 4: return 4; // SACK permitted
    case 8: return 5; // timestamps
    case 0: return 6; // end of list
    default: return 7;
  }
}

/** Letters for optionCode values, index = code. */
export const OPTION_LETTERS = '?MNWSTEX';

/** Options decoded from a SYN, all numbers: the layout signature holds up to 8 option codes, 4 bits each. */
export interface TcpSynOptions {
  mss: number; // -1 when absent
  wscale: number; // -1 when absent
  sackPermitted: boolean;
  timestamps: boolean;
  layout: number; // codes, first option in the lowest nibble
  count: number;
}

/** Walk options in b[off, end). Writes into `out`; returns false on a malformed option list. */
export function readOptions(b: Uint8Array, off: number, end: number, out: TcpSynOptions): boolean {
  out.mss = -1;
  out.wscale = -1;
  out.sackPermitted = false;
  out.timestamps = false;
  out.layout = 0;
  out.count = 0;
  let p = off;
  while (p < end) {
    const kind = b[p]!;
    if (out.count < 8) out.layout |= optionCode(kind) << (4 * out.count);
    out.count++;
    if (kind === 0) return true;
    if (kind === 1) {
      p++;
      continue;
    }
    if (p + 1 >= end) return false;
    const len = b[p + 1]!;
    if (len < 2 || p + len > end) return false;
    if (kind === 2 && len === 4) out.mss = u16(b, p + 2);
    else if (kind === 3 && len === 3) out.wscale = b[p + 2]!;
    else if (kind === 4) out.sackPermitted = true;
    else if (kind === 8) out.timestamps = true;
    p += len;
  }
  return true;
}

/** Text form of a layout signature, e.g. "MSTNW". */
export function layoutText(layout: number, count: number): string {
  let s = '';
  for (let i = 0; i < Math.min(8, count); i++) s += OPTION_LETTERS[(layout >>> (4 * i)) & 0xf];
  return s;
}

export interface TcpRepr {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  headerLen: number;
  flags: number;
  window: number;
  urgent: number;
  options: number[];
}

/**
 * Parse the header at b[off, end), the segment ending at `segmentEnd` by the IP lengths (unknown: Infinity). The
 * decoder's test oracle, with its rules: under 20 captured bytes is truncated (the decoder reads no ports then); a
 * data offset below 5, or a header longer than the segment, is malformed; options cut by the capture are truncated
 * here, while the decoder still reads the ports of such a segment (and marks a SYN whose options it cannot read).
 */
export function parse(b: Uint8Array, off: number, end: number, segmentEnd = Infinity): ParseResult<TcpRepr> {
  if (end - off < MIN_HEADER_LEN) return truncated(`TCP header needs 20 bytes, have ${end - off}`);
  const hl = headerLen(b, off);
  if (hl < MIN_HEADER_LEN) return malformed(`TCP data offset ${hl >> 2} below 5`);
  if (hl > segmentEnd - off) return malformed(`TCP header of ${hl} bytes is longer than the ${segmentEnd - off}-byte segment`);
  if (end - off < hl) return truncated(`TCP header with options needs ${hl} bytes, have ${end - off}`);
  return ok({
    srcPort: srcPort(b, off),
    dstPort: dstPort(b, off),
    seq: seq(b, off),
    ack: ack(b, off),
    headerLen: hl,
    flags: flags(b, off),
    window: window(b, off),
    urgent: u16(b, off + field.URGENT),
    options: Array.from(b.subarray(off + MIN_HEADER_LEN, off + hl)),
  });
}

/** Write the header (checksum left 0) at `off`; returns the header length. */
export function emit(r: TcpRepr, b: Uint8Array, off: number): number {
  const hl = MIN_HEADER_LEN + ((r.options.length + 3) & ~3);
  put16(b, off, r.srcPort);
  put16(b, off + 2, r.dstPort);
  put32(b, off + field.SEQ, r.seq);
  put32(b, off + field.ACK, r.ack);
  b[off + field.OFF_FLAGS] = ((hl >> 2) << 4) | ((r.flags >>> 8) & 1);
  b[off + field.FLAGS] = r.flags & 0xff;
  put16(b, off + field.WINDOW, r.window);
  put16(b, off + field.CHECKSUM, 0);
  put16(b, off + field.URGENT, r.urgent);
  b.fill(1, off + MIN_HEADER_LEN, off + hl);
  r.options.forEach((v, i) => (b[off + MIN_HEADER_LEN + i] = v));
  return hl;
}
