/**
 * Ephemeral (client) port ranges by operating system or service, and how much of each a set of allowed ports covers.
 * Sources: Linux net.ipv4.ip_local_port_range default (32768-60999; 32768-61000 before 4.x), RFC 6335 / Windows
 * Vista+ dynamic range 49152-65535, Windows XP/2003 1025-5000, FreeBSD net.inet.ip.portrange 10000-65535 (since
 * 8.0), macOS/iOS 49152-65535, and AWS (NAT gateway, ELB, Lambda) 1024-65535:
 * https://docs.aws.amazon.com/vpc/latest/userguide/vpc-network-acls.html#nacl-ephemeral-ports
 */

export type ProfileName = 'linux' | 'windows' | 'windows-legacy' | 'freebsd' | 'macos' | 'nat';

/** A client port range. */
export interface PortRangeProfile {
  name: ProfileName;
  /** Inclusive. */
  range: [number, number];
  description: string;
}

/** The profiles in the order reports list them. */
export const PORT_PROFILES: readonly PortRangeProfile[] = [
  { name: 'linux', range: [32768, 60999], description: 'Linux (ip_local_port_range; 32768-61000 on older kernels)' },
  { name: 'windows', range: [49152, 65535], description: 'Windows Vista / Server 2008 and later' },
  { name: 'windows-legacy', range: [1025, 5000], description: 'Windows XP / Server 2003' },
  { name: 'freebsd', range: [10000, 65535], description: 'FreeBSD 8 and later' },
  { name: 'macos', range: [49152, 65535], description: 'macOS / iOS' },
  { name: 'nat', range: [1024, 65535], description: 'AWS NAT gateway, Elastic Load Balancing, Lambda' },
];

/** How much of a profile's range is allowed. */
export interface ProfileCoverage {
  name: ProfileName;
  range: [number, number];
  allowedPorts: number;
  /** allowedPorts / size of the range, 0..1. */
  share: number;
  /** Parts of the range that are not allowed. */
  missing: [number, number][];
}

/** Coverage of one profile given allowed[port] (1 = allowed) for ports 0..65535. */
export function profileCoverage(p: PortRangeProfile, allowed: Uint8Array): ProfileCoverage {
  let n = 0;
  for (let port = p.range[0]; port <= p.range[1]; port++) n += allowed[port]!;
  return {
    name: p.name,
    range: [p.range[0], p.range[1]],
    allowedPorts: n,
    share: n / (p.range[1] - p.range[0] + 1),
    missing: portRanges(allowed, p.range[0], p.range[1], 0),
  };
}

/** Maximal runs of ports in [lo, hi] whose allowed[] equals `value`. */
export function portRanges(allowed: Uint8Array, lo: number, hi: number, value: 0 | 1): [number, number][] {
  const out: [number, number][] = [];
  let start = -1;
  for (let port = lo; port <= hi + 1; port++) {
    const inRun = port <= hi && allowed[port] === value;
    if (inRun && start < 0) start = port;
    if (!inRun && start >= 0) {
      out.push([start, port - 1]);
      start = -1;
    }
  }
  return out;
}

/** Ranges as text: "1024-65535", "22, 80, 443", with "..." after `max` ranges. */
export function formatRanges(ranges: [number, number][], max = 6): string {
  if (ranges.length === 0) return 'none';
  const parts = ranges.slice(0, max).map(([a, b]) => (a === b ? String(a) : `${a}-${b}`));
  return ranges.length > max ? `${parts.join(', ')}, ... (${ranges.length} ranges)` : parts.join(', ');
}

/** A share as a whole percent, never rounding a partial share to 0% or 100%. */
export function percent(share: number): string {
  if (share > 0 && share < 0.01) return '<1%';
  if (share < 1 && share > 0.99) return '>99%';
  return `${Math.round(share * 100)}%`;
}
