/**
 * Which side of a connection is the client: the SYN sender; else the SYN-ACK receiver; else DNS query sender or
 * ICMP echo requester; else port evidence (a service port, the lower of two service ports, a port seen as a server
 * elsewhere in the capture); else the side that sent the first packet. The rule that decided is reported.
 *
 * Flow logs (src/flowlogs/table.ts) use the same rules where their records carry the evidence (tcp-flags SYN and
 * SYN-ACK, ports), then `flow-direction`.
 *
 * An orientation is one small code (a connection table column): bit 0 the client's side of the canonical key
 * (0 = lower endpoint), bits 1-4 the rule, bits 5-6 the port evidence (0 = none).
 */
import { DirFlag, FlowBit } from './table.js';
import { isServicePort } from './services.js';
import { isError } from '../wire/icmp.js';

/**
 * The rules that decide who is the client, by code (the design's contract names: `port-heuristic` covers all port
 * evidence). `flow-direction` is for flow logs only: one direction of the connection was logged on its interface, and
 * its records' flow-direction (v5: ingress = the interface received it, egress = it sent it) say which way that
 * direction went: its sender is the client (a request nothing answered on this interface).
 */
export const ORIENTATIONS = ['syn', 'syn-ack', 'dns', 'icmp-echo', 'icmp-error', 'icmp-message', 'port-heuristic', 'first-packet', 'flow-direction'] as const;
export type Orientation = (typeof ORIENTATIONS)[number];
/** Which port evidence decided a `port-heuristic` orientation. */
export const PORT_EVIDENCE = ['service-port', 'lower-service-port', 'port-seen-as-server'] as const;
export type PortEvidence = (typeof PORT_EVIDENCE)[number];

const Rule = { SYN: 0, SYN_ACK: 1, DNS: 2, ICMP_ECHO: 3, ICMP_ERROR: 4, ICMP_MESSAGE: 5, PORT_HEURISTIC: 6, FIRST_PACKET: 7, FLOW_DIRECTION: 8 } as const;
const Evidence = { SERVICE_PORT: 1, LOWER_SERVICE_PORT: 2, PORT_SEEN_AS_SERVER: 3 } as const;

/** orientByEvidence's answer when only ports can decide. */
export const UNDECIDED = 0xff;

function code(clientSide: number, rule: number, evidence = 0): number {
  return clientSide | (rule << 1) | (evidence << 5);
}

/** The client's side of the canonical key (0 = lower endpoint, 1 = higher). */
export function clientSideOf(c: number): 0 | 1 {
  return (c & 1) as 0 | 1;
}
/** The rule's name (codes no rule has, 9-15, read as first-packet: tables of every code stay total). */
export function orientationName(c: number): Orientation {
  return ORIENTATIONS[(c >> 1) & 15] ?? 'first-packet';
}
export function portEvidenceName(c: number): PortEvidence | null {
  const e = (c >> 5) & 3;
  return e === 0 ? null : PORT_EVIDENCE[e - 1]!;
}
/** True for the ICMP rules (icmp-echo, icmp-error, icmp-message). */
export function isIcmpOrientation(c: number): boolean {
  const r = (c >> 1) & 15;
  return r === Rule.ICMP_ECHO || r === Rule.ICMP_ERROR || r === Rule.ICMP_MESSAGE;
}
export function isFirstPacketOrientation(c: number): boolean {
  return ((c >> 1) & 15) === Rule.FIRST_PACKET;
}

/** The `flow-direction` orientation: the client is on side `clientSide` of the key (flow logs, src/flowlogs/table.ts). */
export function orientByFlowDirection(clientSide: 0 | 1): number {
  return code(clientSide, Rule.FLOW_DIRECTION);
}

/**
 * Orientation from handshake and protocol evidence alone (UNDECIDED when only ports could decide).
 * flags0/flags1 are what the lower/higher endpoint sent.
 */
export function orientByEvidence(proto: number, bits: number, flags0: number, flags1: number, icmpType = -1): number {
  if (proto === 6) {
    if (bits & FlowBit.SYN_SEEN) return code(bits & FlowBit.SYN_DIR_HI ? 1 : 0, Rule.SYN);
    if (bits & FlowBit.SYNACK_SEEN) return code(bits & FlowBit.SYNACK_DIR_HI ? 0 : 1, Rule.SYN_ACK);
    return UNDECIDED;
  }
  if (proto === 17) {
    const q0 = flags0 & DirFlag.DNS_QUERY || flags1 & DirFlag.DNS_RESPONSE;
    const q1 = flags1 & DirFlag.DNS_QUERY || flags0 & DirFlag.DNS_RESPONSE;
    if (q0 && !q1) return code(0, Rule.DNS);
    if (q1 && !q0) return code(1, Rule.DNS);
    return UNDECIDED;
  }
  if (proto === 1 || proto === 58) {
    if (bits & FlowBit.ICMP_MESSAGE) {
      // An error goes back to the host whose packet caused it: that host is the "client". Other messages
      // (neighbour discovery, router advertisements, ...) are oriented by who spoke first.
      const error = icmpType >= 0 && isError(proto, icmpType);
      const first = bits & FlowBit.FIRST_DIR_HI ? 1 : 0;
      return error ? code(1 - first, Rule.ICMP_ERROR) : code(first, Rule.ICMP_MESSAGE);
    }
    const r0 = flags0 & DirFlag.ICMP_REQUEST;
    const r1 = flags1 & DirFlag.ICMP_REQUEST;
    if (r0 && !r1) return code(0, Rule.ICMP_ECHO);
    if (r1 && !r0) return code(1, Rule.ICMP_ECHO);
    if (flags0 & DirFlag.ICMP_REPLY && !(flags1 & DirFlag.ICMP_REPLY)) return code(1, Rule.ICMP_ECHO);
    if (flags1 & DirFlag.ICMP_REPLY && !(flags0 & DirFlag.ICMP_REPLY)) return code(0, Rule.ICMP_ECHO);
    return UNDECIDED;
  }
  return UNDECIDED;
}

/**
 * Orientation by ports when evidence is missing: `seenAsServer[port]` is 1 when the port was the server side of an
 * evidence-oriented connection elsewhere in the capture (same protocol); null when none was.
 */
export function orientByPorts(port0: number, port1: number, bits: number, seenAsServer: Uint8Array | null): number {
  const s0 = isServicePort(port0);
  const s1 = isServicePort(port1);
  if (s0 && !s1) return code(1, Rule.PORT_HEURISTIC, Evidence.SERVICE_PORT);
  if (s1 && !s0) return code(0, Rule.PORT_HEURISTIC, Evidence.SERVICE_PORT);
  if (s0 && s1 && port0 !== port1) return code(port0 < port1 ? 1 : 0, Rule.PORT_HEURISTIC, Evidence.LOWER_SERVICE_PORT);
  const v0 = seenAsServer !== null && seenAsServer[port0] === 1;
  const v1 = seenAsServer !== null && seenAsServer[port1] === 1;
  if (v0 && !v1) return code(1, Rule.PORT_HEURISTIC, Evidence.PORT_SEEN_AS_SERVER);
  if (v1 && !v0) return code(0, Rule.PORT_HEURISTIC, Evidence.PORT_SEEN_AS_SERVER);
  return code(bits & FlowBit.FIRST_DIR_HI ? 1 : 0, Rule.FIRST_PACKET);
}
