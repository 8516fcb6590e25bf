/** MPLS label stack entries (RFC 3032): label 20 bits, TC 3, bottom-of-stack 1, TTL 8. */
import { u32 } from './bytes.js';

export const ENTRY_LEN = 4;

export function label(b: Uint8Array, off: number): number {
  return u32(b, off) >>> 12;
}
export function bottomOfStack(b: Uint8Array, off: number): boolean {
  return (b[off + 2]! & 1) === 1;
}
