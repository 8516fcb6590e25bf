/**
 * ERSPAN headers (draft-foschiano-erspan-03), carried in GRE. Type II (GRE protocol 0x88BE, with a GRE sequence
 * number): version 1 (4 bits), VLAN (12), CoS (3), encapsulation type (2), truncated (1), session id (10),
 * reserved (12), index (20). Type III (0x22EB): version 2, VLAN, CoS, BSO (2), truncated, session id, a 32-bit
 * timestamp, the security group tag (16), then P (1), frame type (5), hardware id (6), direction (1), granularity
 * (2) and O (1), which says an 8-byte platform-specific subheader follows. Type I (0x88BE without a GRE sequence
 * number) has no header: the Ethernet frame follows GRE directly. A view over bytes it does not own.
 */
import { u16, u32, put16, put32, ok, truncated, malformed, type ParseResult } from './bytes.js';

export const TYPE2_LEN = 8;
export const TYPE3_LEN = 12;
export const PLATFORM_SUBHEADER_LEN = 8;
/** Values of the version field. */
export const ErspanVersion = { TYPE2: 1, TYPE3: 2 } as const;
/** Type III frame types: what the mirrored frame starts with. */
export const FrameType = { ETHERNET: 0, IP: 2 } as const;

export function version(b: Uint8Array, off: number): number {
  return b[off]! >>> 4;
}
export function vlan(b: Uint8Array, off: number): number {
  return u16(b, off) & 0x0fff;
}
export function cos(b: Uint8Array, off: number): number {
  return b[off + 2]! >>> 5;
}
/** Type II encapsulation type / type III bad-short-oversized code (2 bits). */
export function encapsulation(b: Uint8Array, off: number): number {
  return (b[off + 2]! >>> 3) & 3;
}
/** T: the mirrored frame was truncated by the switch. */
export function truncatedFrame(b: Uint8Array, off: number): boolean {
  return (b[off + 2]! & 0x04) !== 0;
}
export function sessionId(b: Uint8Array, off: number): number {
  return u16(b, off + 2) & 0x03ff;
}
/** Type II port index (20 bits). */
export function index(b: Uint8Array, off: number): number {
  return u32(b, off + 4) & 0xfffff;
}
/** Type III fields. */
export function timestamp(b: Uint8Array, off: number): number {
  return u32(b, off + 4);
}
export function sgt(b: Uint8Array, off: number): number {
  return u16(b, off + 8);
}
export function frameType(b: Uint8Array, off: number): number {
  return (b[off + 10]! >>> 2) & 0x1f;
}
export function hardwareId(b: Uint8Array, off: number): number {
  return ((b[off + 10]! & 3) << 4) | (b[off + 11]! >>> 4);
}
export function direction(b: Uint8Array, off: number): number {
  return (b[off + 11]! >>> 3) & 1;
}
export function granularity(b: Uint8Array, off: number): number {
  return (b[off + 11]! >>> 1) & 3;
}
export function hasPlatformSubheader(b: Uint8Array, off: number): boolean {
  return (b[off + 11]! & 1) !== 0;
}
/** Type III header length with its optional subheader. */
export function type3Len(b: Uint8Array, off: number): number {
  return TYPE3_LEN + (b[off + 11]! & 1 ? PLATFORM_SUBHEADER_LEN : 0);
}

/** Validated meaning of a type II or III header; type III fields are 0 for type II and the reverse. */
export interface ErspanRepr {
  version: number;
  vlan: number;
  cos: number;
  encapsulation: number;
  truncated: boolean;
  sessionId: number;
  index: number;
  timestamp: number;
  sgt: number;
  pduFlag: boolean;
  frameType: number;
  hardwareId: number;
  direction: number;
  granularity: number;
  /** The 8-byte platform-specific subheader of type III, when O is set. */
  platform: number[] | null;
}

/**
 * Parse a header of the given type (2 or 3) at b[off, end). The decoder's test oracle: the decoder opens the frame
 * when this returns ok (a type III frame only when it is Ethernet or IP), counts `malformed` (a version that is not
 * the GRE protocol type's) as bad-tunnel-header and a cut header as truncated.
 */
export function parse(type: 2 | 3, b: Uint8Array, off: number, end: number): ParseResult<ErspanRepr> {
  const need = type === 2 ? TYPE2_LEN : TYPE3_LEN;
  if (end - off < need) return truncated(`ERSPAN type ${type === 2 ? 'II' : 'III'} header needs ${need} bytes, have ${end - off}`);
  const want = type === 2 ? ErspanVersion.TYPE2 : ErspanVersion.TYPE3;
  if (version(b, off) !== want) return malformed(`ERSPAN version ${version(b, off)} where type ${type === 2 ? 'II' : 'III'} (${want}) was announced`);
  const r: ErspanRepr = {
    version: want,
    vlan: vlan(b, off),
    cos: cos(b, off),
    encapsulation: encapsulation(b, off),
    truncated: truncatedFrame(b, off),
    sessionId: sessionId(b, off),
    index: 0,
    timestamp: 0,
    sgt: 0,
    pduFlag: false,
    frameType: 0,
    hardwareId: 0,
    direction: 0,
    granularity: 0,
    platform: null,
  };
  if (type === 2) {
    r.index = index(b, off);
    return ok(r);
  }
  r.timestamp = timestamp(b, off);
  r.sgt = sgt(b, off);
  r.pduFlag = (b[off + 10]! & 0x80) !== 0;
  r.frameType = frameType(b, off);
  r.hardwareId = hardwareId(b, off);
  r.direction = direction(b, off);
  r.granularity = granularity(b, off);
  if (hasPlatformSubheader(b, off)) {
    if (end - off < TYPE3_LEN + PLATFORM_SUBHEADER_LEN) return truncated(`ERSPAN type III platform subheader needs 8 bytes, have ${end - off - TYPE3_LEN}`);
    r.platform = Array.from(b.subarray(off + TYPE3_LEN, off + TYPE3_LEN + PLATFORM_SUBHEADER_LEN));
  }
  return ok(r);
}

/** Write the header (type II when r.version is 1, else type III) at `off`; returns its length. */
export function emit(r: ErspanRepr, b: Uint8Array, off: number): number {
  put16(b, off, ((r.version & 0xf) << 12) | (r.vlan & 0xfff));
  put16(b, off + 2, ((r.cos & 7) << 13) | ((r.encapsulation & 3) << 11) | (r.truncated ? 0x400 : 0) | (r.sessionId & 0x3ff));
  if (r.version === ErspanVersion.TYPE2) {
    put32(b, off + 4, r.index & 0xfffff);
    return TYPE2_LEN;
  }
  put32(b, off + 4, r.timestamp);
  put16(b, off + 8, r.sgt);
  b[off + 10] = (r.pduFlag ? 0x80 : 0) | ((r.frameType & 0x1f) << 2) | ((r.hardwareId >> 4) & 3);
  b[off + 11] = ((r.hardwareId & 0xf) << 4) | ((r.direction & 1) << 3) | ((r.granularity & 3) << 1) | (r.platform ? 1 : 0);
  if (!r.platform) return TYPE3_LEN;
  for (let k = 0; k < PLATFORM_SUBHEADER_LEN; k++) b[off + TYPE3_LEN + k] = r.platform[k] ?? 0;
  return TYPE3_LEN + PLATFORM_SUBHEADER_LEN;
}
