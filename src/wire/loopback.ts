/**
 * BSD loopback encapsulation: LINKTYPE_NULL (0, the address family in the capturing host's byte order) and
 * LINKTYPE_LOOP (108, network byte order). https://www.tcpdump.org/linktypes/LINKTYPE_NULL.html
 */
export const HEADER_LEN = 4;

/** AF_ values that mean IPv4 and IPv6 on the systems that write these captures. */
export const AF_INET = 2;
export function isInet6(af: number): boolean {
  return af === 10 || af === 24 || af === 28 || af === 30;
}

/** The family word of LINKTYPE_NULL, whichever byte order wrote it: the small value wins. */
export function familyEitherOrder(b: Uint8Array, off: number): number {
  const le = (b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16) | (b[off + 3]! << 24)) >>> 0;
  const be = ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
  return le < be ? le : be;
}

/** The family word of LINKTYPE_LOOP (network byte order). */
export function familyNetworkOrder(b: Uint8Array, off: number): number {
  return ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
}
