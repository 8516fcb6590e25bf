/**
 * Linux "cooked" capture headers: SLL (LINKTYPE_LINUX_SLL, 113, 16 bytes) and SLL2 (LINKTYPE_LINUX_SLL2, 276,
 * 20 bytes). See https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html and ..._SLL2.html.
 */
import { u16, u32, put16, put32, ok, truncated, type ParseResult } from './bytes.js';

export const SLL_LEN = 16;
export const SLL2_LEN = 20;

/** SLL: packet type, ARPHRD type, address length, address (8 bytes), protocol. */
export const sllField = { PACKET_TYPE: 0, ARPHRD: 2, ADDR_LEN: 4, ADDR: 6, PROTOCOL: 14 } as const;
/** SLL2: protocol, reserved, interface index, ARPHRD, packet type, address length, address. */
export const sll2Field = { PROTOCOL: 0, RESERVED: 2, IFINDEX: 4, ARPHRD: 8, PACKET_TYPE: 10, ADDR_LEN: 11, ADDR: 12 } as const;

/** Protocol values below 0x0600 that are not EtherTypes (linux/if_ether.h). */
export const SllProtocol = { NETLINK_OR_802_3: 0x0001, AX25: 0x0002, LLC: 0x0004, CAN: 0x000c } as const;

export function sllProtocol(b: Uint8Array, off: number): number {
  return u16(b, off + sllField.PROTOCOL);
}

export function sll2Protocol(b: Uint8Array, off: number): number {
  return u16(b, off + sll2Field.PROTOCOL);
}

export interface SllRepr {
  version: 1 | 2;
  packetType: number;
  arphrd: number;
  address: number[];
  protocol: number;
  ifIndex: number;
}

/** Parse an SLL or SLL2 header at b[off, end). The decoder's test oracle (it reads the protocol itself): a cut header is truncated. */
export function parse(version: 1 | 2, b: Uint8Array, off: number, end: number): ParseResult<SllRepr> {
  const need = version === 1 ? SLL_LEN : SLL2_LEN;
  if (end - off < need) return truncated(`SLL${version === 2 ? '2' : ''} header needs ${need} bytes, have ${end - off}`);
  if (version === 1) {
    const alen = Math.min(8, u16(b, off + sllField.ADDR_LEN));
    return ok({
      version,
      packetType: u16(b, off),
      arphrd: u16(b, off + sllField.ARPHRD),
      address: Array.from(b.subarray(off + sllField.ADDR, off + sllField.ADDR + alen)),
      protocol: sllProtocol(b, off),
      ifIndex: 0,
    });
  }
  const alen = Math.min(8, b[off + sll2Field.ADDR_LEN]!);
  return ok({
    version,
    packetType: b[off + sll2Field.PACKET_TYPE]!,
    arphrd: u16(b, off + sll2Field.ARPHRD),
    address: Array.from(b.subarray(off + sll2Field.ADDR, off + sll2Field.ADDR + alen)),
    protocol: sll2Protocol(b, off),
    ifIndex: u32(b, off + sll2Field.IFINDEX),
  });
}

export function emit(r: SllRepr, b: Uint8Array, off: number): number {
  if (r.version === 1) {
    b.fill(0, off, off + SLL_LEN);
    put16(b, off, r.packetType);
    put16(b, off + sllField.ARPHRD, r.arphrd);
    put16(b, off + sllField.ADDR_LEN, r.address.length);
    r.address.slice(0, 8).forEach((v, i) => (b[off + sllField.ADDR + i] = v));
    put16(b, off + sllField.PROTOCOL, r.protocol);
    return SLL_LEN;
  }
  b.fill(0, off, off + SLL2_LEN);
  put16(b, off, r.protocol);
  put32(b, off + sll2Field.IFINDEX, r.ifIndex);
  put16(b, off + sll2Field.ARPHRD, r.arphrd);
  b[off + sll2Field.PACKET_TYPE] = r.packetType;
  b[off + sll2Field.ADDR_LEN] = r.address.length;
  r.address.slice(0, 8).forEach((v, i) => (b[off + sll2Field.ADDR + i] = v));
  return SLL2_LEN;
}
