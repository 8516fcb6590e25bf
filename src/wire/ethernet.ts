/** Ethernet II / IEEE 802.3 frame header (IEEE 802.3 clause 3). A view over bytes it does not own. */
import { u16, put16, ok, truncated, type ParseResult } from './bytes.js';

/** Byte ranges of the header. */
export const field = { DESTINATION: 0, SOURCE: 6, ETHERTYPE: 12, PAYLOAD: 14 } as const;
export const HEADER_LEN = 14;

/**
 * EtherType values we dispatch on (IEEE registry; also the protocol type of GRE, RFC 2784, and GENEVE, RFC 8926).
 * The one definition the decoder uses. Unknown values stay numbers.
 */
export const EtherType = {
  IPV4: 0x0800,
  ARP: 0x0806,
  TEB: 0x6558, // transparent Ethernet bridging: an Ethernet frame follows (RFC 1701)
  ERSPAN_III: 0x22eb, // Cisco ERSPAN type III
  ERSPAN_II: 0x88be, // Cisco ERSPAN type II (type I when the GRE header has no sequence number)
  PPP: 0x880b, // PPP over GRE (PPTP, RFC 2637)
  WCCP: 0x883e, // WCCP v2 redirect over GRE
  CISCO_METADATA: 0x8909, // Cisco MetaData (SGT) header
  VLAN: 0x8100, // IEEE 802.1Q C-tag
  QINQ: 0x88a8, // IEEE 802.1ad S-tag
  QINQ_LEGACY: 0x9100, // pre-standard stacked tag
  QINQ_LEGACY2: 0x9200,
  IPV6: 0x86dd,
  MPLS: 0x8847,
  MPLS_MULTICAST: 0x8848,
  PPPOE_DISCOVERY: 0x8863,
  PPPOE_SESSION: 0x8864,
} as const;

/** EtherType (or 802.3 length when <= 1500). */
export function etherType(b: Uint8Array, off: number): number {
  return u16(b, off + field.ETHERTYPE);
}

/** True when the type field is an 802.3 length, so an LLC header follows. */
export function isLength(type: number): boolean {
  return type <= 1500;
}

/** Validated meaning of an Ethernet header. */
export interface EthernetRepr {
  destination: number[];
  source: number[];
  etherType: number;
}

/** Parse the header at b[off, end). The decoder's test oracle (it reads etherType() itself): under 14 bytes is truncated, as the decoder counts it. */
export function parse(b: Uint8Array, off: number, end: number): ParseResult<EthernetRepr> {
  if (end - off < HEADER_LEN) return truncated(`ethernet header needs ${HEADER_LEN} bytes, have ${end - off}`);
  return ok({
    destination: Array.from(b.subarray(off, off + 6)),
    source: Array.from(b.subarray(off + 6, off + 12)),
    etherType: etherType(b, off),
  });
}

/** Write the header at `off`; returns the header length. */
export function emit(r: EthernetRepr, b: Uint8Array, off: number): number {
  for (let i = 0; i < 6; i++) {
    b[off + i] = r.destination[i] ?? 0;
    b[off + 6 + i] = r.source[i] ?? 0;
  }
  put16(b, off + field.ETHERTYPE, r.etherType);
  return HEADER_LEN;
}
