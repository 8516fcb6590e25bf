/**
 * GENEVE (RFC 8926 section 3.4): version (2 bits) and options length (6 bits, 4-byte words), the O (OAM) and C
 * (critical options) flags and 6 reserved bits, the protocol type of the payload (an EtherType: 0x6558 Ethernet,
 * 0x0800/0x86DD IP), the 24-bit VNI, 8 reserved bits, then the options. An option (3.5) is class (16 bits), type
 * (8, the high bit critical), 3 reserved bits and a length (5 bits, 4-byte words after the 4-byte option header).
 * AWS Gateway Load Balancer sends GENEVE to UDP 6081 with IP payloads and its own option class 0x0108.
 */
import { u16, u32, put16, put32, ok, truncated, malformed, type ParseResult } from './bytes.js';

/** Byte ranges of the fixed header. */
export const field = { VER_OPTLEN: 0, FLAGS: 1, PROTOCOL: 2, VNI: 4, RESERVED: 7, OPTIONS: 8 } as const;
export const HEADER_LEN = 8;
export const OPTION_HEADER_LEN = 4;
/** IANA-assigned UDP destination port (RFC 8926 section 3.3). */
export const UDP_PORT = 6081;
export const FLAG_OAM = 0x80;
export const FLAG_CRITICAL = 0x40;

/** AWS's option class (Gateway Load Balancer) and its option types with their data lengths. */
export const AWS_OPTION_CLASS = 0x0108;
export const AwsOption = { GWLB_ENDPOINT_ID: 1, ATTACHMENT_ID: 2, FLOW_COOKIE: 3 } as const;
export const AWS_OPTION_DATA_LEN = { 1: 8, 2: 8, 3: 4 } as const;

export function version(b: Uint8Array, off: number): number {
  return b[off]! >>> 6;
}
/** Length of the options in bytes. */
export function optionsLen(b: Uint8Array, off: number): number {
  return (b[off]! & 0x3f) << 2;
}
export function flags(b: Uint8Array, off: number): number {
  return b[off + field.FLAGS]! & 0xc0;
}
/** EtherType of the payload. */
export function protocolType(b: Uint8Array, off: number): number {
  return u16(b, off + field.PROTOCOL);
}
export function vni(b: Uint8Array, off: number): number {
  return u32(b, off + field.VNI) >>> 8;
}

/**
 * True for a version-0 header with every reserved bit zero: the decoder opens a datagram to the GENEVE port only
 * then (RFC 8926 3.4: a receiver drops other versions; the reserved bits are zero on the wire).
 */
export function isPlausible(b: Uint8Array, off: number): boolean {
  return b[off]! >>> 6 === 0 && (b[off + 1]! & 0x3f) === 0 && b[off + 7] === 0;
}

/** Option at `o`: class, type, data length in bytes. */
export function optionClass(b: Uint8Array, o: number): number {
  return u16(b, o);
}
export function optionType(b: Uint8Array, o: number): number {
  return b[o + 2]!;
}
export function optionDataLen(b: Uint8Array, o: number): number {
  return (b[o + 3]! & 0x1f) << 2;
}

/** AWS options found in a header, all numbers (scratch the caller reuses). Ids are two 32-bit words, high first. */
export interface AwsOptions {
  endpointHi: number;
  endpointLo: number;
  hasEndpoint: boolean;
  attachmentHi: number;
  attachmentLo: number;
  hasAttachment: boolean;
  flowCookie: number;
  hasFlowCookie: boolean;
  /** Options walked, AWS or not. */
  count: number;
}

/** A fresh AwsOptions scratch. */
export function awsOptions(): AwsOptions {
  return { endpointHi: 0, endpointLo: 0, hasEndpoint: false, attachmentHi: 0, attachmentLo: 0, hasAttachment: false, flowCookie: 0, hasFlowCookie: false, count: 0 };
}

/**
 * Walk the options in b[off, end) (end = the start of the payload), keeping AWS's into `out`; other options are
 * skipped by their length. Returns false when an option header or its data runs past `end`. An AWS option whose
 * length is not its type's is skipped like an unknown one.
 */
export function readAwsOptions(b: Uint8Array, off: number, end: number, out: AwsOptions): boolean {
  out.hasEndpoint = false;
  out.hasAttachment = false;
  out.hasFlowCookie = false;
  out.count = 0;
  let o = off;
  while (o < end) {
    if (end - o < OPTION_HEADER_LEN) return false;
    const len = (b[o + 3]! & 0x1f) << 2;
    if (end - o - OPTION_HEADER_LEN < len) return false;
    out.count++;
    if (u16(b, o) === AWS_OPTION_CLASS) {
      const t = b[o + 2]!;
      if (t === AwsOption.GWLB_ENDPOINT_ID && len === 8) {
        out.endpointHi = u32(b, o + 4);
        out.endpointLo = u32(b, o + 8);
        out.hasEndpoint = true;
      } else if (t === AwsOption.ATTACHMENT_ID && len === 8) {
        out.attachmentHi = u32(b, o + 4);
        out.attachmentLo = u32(b, o + 8);
        out.hasAttachment = true;
      } else if (t === AwsOption.FLOW_COOKIE && len === 4) {
        out.flowCookie = u32(b, o + 4);
        out.hasFlowCookie = true;
      }
    }
    o += OPTION_HEADER_LEN + len;
  }
  return true;
}

/** One option: class, type (critical bit included), the 3 reserved flag bits, data (a multiple of 4 bytes). */
export interface GeneveOption {
  optionClass: number;
  type: number;
  reserved: number;
  data: number[];
}

/** Validated meaning of a GENEVE header. */
export interface GeneveRepr {
  oam: boolean;
  critical: boolean;
  protocolType: number;
  vni: number;
  options: GeneveOption[];
}

/**
 * Parse the header and its options at b[off, end). The decoder's test oracle: the decoder opens the payload when
 * this returns ok, or malformed only for an option that runs past the options (it counts that and opens the payload
 * anyway, since the options length says where the payload starts); a cut header or cut options are truncated.
 */
export function parse(b: Uint8Array, off: number, end: number): ParseResult<GeneveRepr> {
  if (end - off < HEADER_LEN) return truncated(`GENEVE header needs ${HEADER_LEN} bytes, have ${end - off}`);
  if (version(b, off) !== 0) return malformed(`GENEVE version ${version(b, off)}`);
  if (!isPlausible(b, off)) return malformed('GENEVE reserved bits are set');
  const optEnd = off + HEADER_LEN + optionsLen(b, off);
  if (end < optEnd) return truncated(`GENEVE options need ${optEnd - off - HEADER_LEN} bytes, have ${end - off - HEADER_LEN}`);
  const options: GeneveOption[] = [];
  for (let o = off + HEADER_LEN; o < optEnd; ) {
    if (optEnd - o < OPTION_HEADER_LEN) return malformed(`GENEVE option header at ${o - off} runs past the options`);
    const len = optionDataLen(b, o);
    if (optEnd - o - OPTION_HEADER_LEN < len) return malformed(`GENEVE option of ${len} bytes at ${o - off} runs past the options`);
    options.push({ optionClass: optionClass(b, o), type: optionType(b, o), reserved: b[o + 3]! >>> 5, data: Array.from(b.subarray(o + 4, o + 4 + len)) });
    o += OPTION_HEADER_LEN + len;
  }
  const f = b[off + 1]!;
  return ok({ oam: (f & FLAG_OAM) !== 0, critical: (f & FLAG_CRITICAL) !== 0, protocolType: protocolType(b, off), vni: vni(b, off), options });
}

/** Bytes emit() writes for `r`. */
export function emittedLen(r: GeneveRepr): number {
  return HEADER_LEN + r.options.reduce((n, o) => n + OPTION_HEADER_LEN + ((o.data.length + 3) & ~3), 0);
}

/** Write the header and options at `off`; returns the bytes written. */
export function emit(r: GeneveRepr, b: Uint8Array, off: number): number {
  const total = emittedLen(r);
  b[off] = ((total - HEADER_LEN) >> 2) & 0x3f;
  b[off + 1] = (r.oam ? FLAG_OAM : 0) | (r.critical ? FLAG_CRITICAL : 0);
  put16(b, off + field.PROTOCOL, r.protocolType);
  put32(b, off + field.VNI, (r.vni & 0xffffff) << 8);
  let o = off + HEADER_LEN;
  for (const opt of r.options) {
    const len = (opt.data.length + 3) & ~3;
    put16(b, o, opt.optionClass);
    b[o + 2] = opt.type;
    b[o + 3] = ((opt.reserved & 7) << 5) | (len >> 2);
    b.fill(0, o + 4, o + 4 + len);
    opt.data.forEach((v, k) => (b[o + 4 + k] = v));
    o += OPTION_HEADER_LEN + len;
  }
  return total;
}
