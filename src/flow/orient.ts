/**
 * Which side of a connection is the client: the SYN sender; else the SYN-ACK receiver; else DNS query sender or
 * ICMP echo requester; else port evidence (a service port, the lower of two service ports, a port seen as a server
 * elsewhere in the capture); else the side that sent the first packet. The rule that decided is reported.
 */
import { DirFlag, FlowBit } from './table.js';
import { isServicePort } from './services.js';
import { isError } from '../wire/icmp.js';

/** The rule that decided who is the client (the design's contract names: `port-heuristic` covers all port evidence). */
export type Orientation = 'syn' | 'syn-ack' | 'dns' | 'icmp-echo' | 'icmp-error' | 'icmp-message' | 'port-heuristic' | 'first-packet';
/** Which port evidence decided a `port-heuristic` orientation. */
export type PortEvidence = 'service-port' | 'lower-service-port' | 'port-seen-as-server';

/** Result of orient(): which key endpoint is the client (0 = lower, 1 = higher) and why. */
export interface Oriented {
  readonly clientSide: 0 | 1;
  readonly orientation: Orientation;
  /** For `port-heuristic`: the evidence; null otherwise. */
  readonly portEvidence: PortEvidence | null;
}

const ORIENTED = new Map<string, Oriented>();
/** The shared (immutable) result for a side and rule: orienting a quarter million connections allocates nothing. */
function oriented(clientSide: 0 | 1, orientation: Orientation, portEvidence: PortEvidence | null = null): Oriented {
  const key = `${orientation}${portEvidence ?? ''}${clientSide}`;
  let o = ORIENTED.get(key);
  if (!o) ORIENTED.set(key, (o = Object.freeze({ clientSide, orientation, portEvidence })));
  return o;
}

/**
 * Orientation from handshake and protocol evidence alone (null when only ports could decide).
 * flags0/flags1 are what the lower/higher endpoint sent.
 */
export function orientByEvidence(proto: number, bits: number, flags0: number, flags1: number, icmpType = -1): Oriented | null {
  if (proto === 6) {
    if (bits & FlowBit.SYN_SEEN) return oriented(bits & FlowBit.SYN_DIR_HI ? 1 : 0, 'syn');
    if (bits & FlowBit.SYNACK_SEEN) return oriented(bits & FlowBit.SYNACK_DIR_HI ? 0 : 1, 'syn-ack');
    return null;
  }
  if (proto === 17) {
    const q0 = flags0 & DirFlag.DNS_QUERY || flags1 & DirFlag.DNS_RESPONSE;
    const q1 = flags1 & DirFlag.DNS_QUERY || flags0 & DirFlag.DNS_RESPONSE;
    if (q0 && !q1) return oriented(0, 'dns');
    if (q1 && !q0) return oriented(1, 'dns');
    return null;
  }
  if (proto === 1 || proto === 58) {
    if (bits & FlowBit.ICMP_MESSAGE) {
      // An error goes back to the host whose packet caused it: that host is the "client". Other messages
      // (neighbour discovery, router advertisements, ...) are oriented by who spoke first.
      const error = icmpType >= 0 && isError(proto, icmpType);
      const first = bits & FlowBit.FIRST_DIR_HI ? 1 : 0;
      return error ? oriented((1 - first) as 0 | 1, 'icmp-error') : oriented(first, 'icmp-message');
    }
    const r0 = flags0 & DirFlag.ICMP_REQUEST;
    const r1 = flags1 & DirFlag.ICMP_REQUEST;
    if (r0 && !r1) return oriented(0, 'icmp-echo');
    if (r1 && !r0) return oriented(1, 'icmp-echo');
    if (flags0 & DirFlag.ICMP_REPLY && !(flags1 & DirFlag.ICMP_REPLY)) return oriented(1, 'icmp-echo');
    if (flags1 & DirFlag.ICMP_REPLY && !(flags0 & DirFlag.ICMP_REPLY)) return oriented(0, 'icmp-echo');
    return null;
  }
  return null;
}

/**
 * Orientation by ports when evidence is missing: `serverPorts(port)` says whether the port was the server side of
 * an evidence-oriented connection elsewhere in the capture (same protocol).
 */
export function orientByPorts(port0: number, port1: number, bits: number, seenAsServer: (port: number) => boolean): Oriented {
  const s0 = isServicePort(port0);
  const s1 = isServicePort(port1);
  if (s0 && !s1) return oriented(1, 'port-heuristic', 'service-port');
  if (s1 && !s0) return oriented(0, 'port-heuristic', 'service-port');
  if (s0 && s1 && port0 !== port1) return oriented(port0 < port1 ? 1 : 0, 'port-heuristic', 'lower-service-port');
  const v0 = seenAsServer(port0);
  const v1 = seenAsServer(port1);
  if (v0 && !v1) return oriented(1, 'port-heuristic', 'port-seen-as-server');
  if (v1 && !v0) return oriented(0, 'port-heuristic', 'port-seen-as-server');
  return oriented(bits & FlowBit.FIRST_DIR_HI ? 1 : 0, 'first-packet');
}
