/** The fixed DNS header (RFC 1035 4.1.1); we read only what tells a query from a response. */
import { u16 } from './bytes.js';

export const HEADER_LEN = 12;

/** UDP ports that carry this header: DNS (RFC 1035), multicast DNS (RFC 6762), LLMNR (RFC 4795). */
export const DNS_PORTS: readonly number[] = [53, 5353, 5355];

/** True for a port in DNS_PORTS. */
export function isDnsPort(port: number): boolean {
  for (let k = 0; k < DNS_PORTS.length; k++) if (DNS_PORTS[k] === port) return true;
  return false;
}
export const field = { ID: 0, FLAGS: 2, QDCOUNT: 4, ANCOUNT: 6 } as const;

/** Transaction id. */
export function id(b: Uint8Array, off: number): number {
  return u16(b, off);
}

/** QR bit: true for a response. */
export function isResponse(b: Uint8Array, off: number): boolean {
  return (b[off + field.FLAGS]! & 0x80) !== 0;
}

/** Opcode (4 bits). */
export function opcode(b: Uint8Array, off: number): number {
  return (b[off + field.FLAGS]! >>> 3) & 0x0f;
}
