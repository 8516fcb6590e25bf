/**
 * Cisco MetaData (CMD, EtherType 0x8909) as GRE carries it: the payload's EtherType, version, length, option
 * (length and type) and the 16-bit security group tag, 8 bytes, then the payload. Read as Wireshark's "cmd" dissector
 * reads the GRE packets of tcpdump's various_gre.pcap.
 */
import { u16 } from './bytes.js';

export const GRE_HEADER_LEN = 8;
export const field = { ETHERTYPE: 0, VERSION: 2, LENGTH: 3, OPTION: 4, SGT: 6 } as const;

/** EtherType of the payload that follows. */
export function etherType(b: Uint8Array, off: number): number {
  return u16(b, off + field.ETHERTYPE);
}
/** Security group tag. */
export function sgt(b: Uint8Array, off: number): number {
  return u16(b, off + field.SGT);
}
