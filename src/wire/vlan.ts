/** IEEE 802.1Q / 802.1ad VLAN tag: TCI (PCP, DEI, VID) then the inner EtherType. */
import { u16, put16, ok, truncated, type ParseResult } from './bytes.js';

export const field = { TCI: 0, ETHERTYPE: 2 } as const;
export const TAG_LEN = 4;

/** VLAN identifier (12 bits). */
export function vid(b: Uint8Array, off: number): number {
  return u16(b, off) & 0x0fff;
}

/** Priority code point (3 bits). */
export function pcp(b: Uint8Array, off: number): number {
  return b[off]! >>> 5;
}

/** The EtherType carried after the tag. */
export function innerType(b: Uint8Array, off: number): number {
  return u16(b, off + field.ETHERTYPE);
}

export interface VlanRepr {
  pcp: number;
  dei: boolean;
  vid: number;
  etherType: number;
}

/** Parse the tag at b[off, end). The decoder's test oracle (it reads innerType() itself): under 4 bytes is truncated. */
export function parse(b: Uint8Array, off: number, end: number): ParseResult<VlanRepr> {
  if (end - off < TAG_LEN) return truncated(`VLAN tag needs ${TAG_LEN} bytes, have ${end - off}`);
  return ok({ pcp: pcp(b, off), dei: (b[off]! & 0x10) !== 0, vid: vid(b, off), etherType: innerType(b, off) });
}

export function emit(r: VlanRepr, b: Uint8Array, off: number): number {
  put16(b, off, ((r.pcp & 7) << 13) | (r.dei ? 0x1000 : 0) | (r.vid & 0xfff));
  put16(b, off + field.ETHERTYPE, r.etherType);
  return TAG_LEN;
}
