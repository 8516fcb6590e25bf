/**
 * PPP (RFC 1661) framing as captured: LINKTYPE_PPP (9, optional 0xff03 address/control), LINKTYPE_PPP_HDLC (50),
 * Cisco HDLC (104), and PPPoE session headers (RFC 2516) carried over Ethernet.
 */
import { u16 } from './bytes.js';

/** PPP protocol numbers for the network layers we decode. */
export const PppProtocol = { IPV4: 0x0021, IPV6: 0x0057 } as const;
export const PPPOE_HEADER_LEN = 6;
export const CHDLC_HEADER_LEN = 4;

/** Offset past an optional 0xff 0x03 address/control pair. */
export function skipAddressControl(b: Uint8Array, off: number, end: number): number {
  return end - off >= 2 && b[off] === 0xff && b[off + 1] === 0x03 ? off + 2 : off;
}

/** The PPP protocol field at `off` (1 byte when its low bit is set: protocol-field compression). */
export function protocol(b: Uint8Array, off: number): number {
  return (b[off]! & 1) === 1 ? b[off]! : u16(b, off);
}
export function protocolLen(b: Uint8Array, off: number): number {
  return (b[off]! & 1) === 1 ? 1 : 2;
}

/** Cisco HDLC: address, control, then an EtherType. */
export function chdlcProtocol(b: Uint8Array, off: number): number {
  return u16(b, off + 2);
}
