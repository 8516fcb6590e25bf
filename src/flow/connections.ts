/**
 * Connection records from the merged flow table: client and server with their ports, the orientation rule that
 * decided, Zeek conn_state, counters per side, and how the connection attempt ended.
 */
import { formatAddress as format4 } from '../wire/ipv4.js';
import { formatAddress as format6 } from '../wire/ipv6.js';
import { layoutText } from '../wire/tcp.js';
import { FlowTable, FlowBit, DirFlag, KeyBit } from './table.js';
import { hasPorts } from '../decode/batch.js';
import { orientByEvidence, orientByPorts, type Oriented, type Orientation, type PortEvidence } from './orient.js';
import { tcpConnState, datagramConnState, type ConnState } from './state.js';

/** How a connection attempt ended, as far as the capture shows. */
export type AttemptOutcome = 'completed' | 'rejected' | 'unanswered' | 'synack-unacked' | 'partial';

/** An address as the batch columns hold it (IPv4 in word 0). Shared objects: one per distinct address. */
export interface Host {
  family: 4 | 6;
  words: [number, number, number, number];
}

/** The SYN's OS evidence. */
export interface SynEvidence {
  ttl: number;
  window: number;
  mss: number | null;
  wscale: number | null;
  options: string;
}

/** One connection, as `flows` reports it (field names are the CLI contract). */
export interface Connection {
  id: number;
  family: 4 | 6;
  proto: string;
  protoNumber: number;
  client: string;
  clientPort: number | null;
  server: string;
  serverPort: number | null;
  orientation: Orientation;
  /** For `port-heuristic`: which port evidence decided (`service-port`, `lower-service-port`, `port-seen-as-server`). */
  portEvidence: PortEvidence | null;
  state: ConnState;
  packets: number;
  bytes: number;
  firstTs: number;
  lastTs: number;
  clientPackets: number;
  serverPackets: number;
  clientBytes: number;
  serverBytes: number;
  synRetransmits: number;
  synAckRetransmits: number;
  attempt: AttemptOutcome;
  icmpType: number | null;
  icmpCode: number | null;
  icmpErrors: number;
  lastIcmpError: { type: number; code: number } | null;
  syn: SynEvidence | null;
  /** Which key endpoint is the client (0 = lower); for joining with per-packet results. */
  clientSide: 0 | 1;
  /** The client's and server's addresses as numbers (not part of the output records). */
  clientHost: Host;
  serverHost: Host;
}

const PROTO_NAMES: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 33: 'dccp', 47: 'gre', 50: 'esp', 51: 'ah', 58: 'icmp6', 132: 'sctp', 136: 'udplite' };

/** Short protocol name (`tcp`, `udp`, `icmp`, `icmp6`, ...), or the number. */
export function protoName(p: number): string {
  return PROTO_NAMES[p] ?? String(p);
}

/** Text of key address word `w` of flow f's endpoint `side`. */
export function endpointAddress(t: FlowTable, f: number, side: 0 | 1): string {
  const k = 4 * f;
  const a = t.keys[k + side]!;
  if ((t.keys[k + 3]! & KeyBit.IPV6) === 0) return format4(a);
  const w = t.addrs6.keys;
  return format6(w[4 * a]!, w[4 * a + 1]!, w[4 * a + 2]!, w[4 * a + 3]!);
}


/** Orient every connection: evidence first, then ports (using the server ports evidence revealed). */
export function orientAll(t: FlowTable): Oriented[] {
  const out: (Oriented | null)[] = new Array(t.count);
  const servers = new Map<number, Uint8Array>();
  const serverSet = (proto: number) => {
    let s = servers.get(proto);
    if (!s) servers.set(proto, (s = new Uint8Array(65536)));
    return s;
  };
  for (let f = 0; f < t.count; f++) {
    const proto = t.keys[4 * f + 3]! & 0xff;
    const w3 = t.keys[4 * f + 3]!;
    const icmpType = w3 & KeyBit.ICMP_MESSAGE ? t.keys[4 * f + 2]! >>> 16 : -1;
    const o = orientByEvidence(proto, t.bits[f]!, t.flagsOf(f, 0), t.flagsOf(f, 1), icmpType);
    out[f] = o;
    if (o && hasPorts(proto)) {
      const ports = t.keys[4 * f + 2]!;
      serverSet(proto)[o.clientSide === 0 ? ports & 0xffff : ports >>> 16] = 1;
    }
  }
  for (let f = 0; f < t.count; f++) {
    if (out[f]) continue;
    const proto = t.keys[4 * f + 3]! & 0xff;
    const ports = t.keys[4 * f + 2]!;
    const seen = servers.get(proto);
    out[f] = hasPorts(proto)
      ? orientByPorts(ports >>> 16, ports & 0xffff, t.bits[f]!, (p) => seen !== undefined && seen[p] === 1)
      : orientByPorts(0, 0, t.bits[f]!, () => false);
  }
  return out as Oriented[];
}

/** How the attempt ended, from what the client (o) and server (r) sent. */
export function attemptOutcome(proto: number, o: number, r: number, oPackets: number, rPackets: number, icmpLast: number, icmpErrors: number, icmpMessage = false, family: 4 | 6 = 4): AttemptOutcome {
  if (icmpMessage) return 'partial';
  if (proto === 6) {
    const handshake = (o | r) & (DirFlag.BARE_SYN | DirFlag.SYN_ACK);
    if (!handshake) return oPackets > 0 && rPackets > 0 ? 'completed' : 'partial';
    // The client acknowledged the server's SYN-ACK (its own SYN may be missing from the capture).
    if (r & DirFlag.SYN_ACK && o & DirFlag.ACK) return 'completed';
    if (r & DirFlag.RST) return 'rejected';
    if (r & DirFlag.SYN_ACK) return 'synack-unacked';
    if (o & DirFlag.BARE_SYN && rPackets === 0) return 'unanswered';
    return 'partial';
  }
  if (rPackets > 0) return 'completed';
  // A destination unreachable quoting the request (ICMP type 3, ICMPv6 type 1): the server side said no (port or
  // protocol unreachable). ICMPv6 type 3 is time exceeded, not a refusal.
  if (icmpErrors > 0 && icmpLast >> 8 === (family === 6 ? 1 : 3)) return 'rejected';
  return oPackets > 0 ? 'unanswered' : 'partial';
}

/** All connections of the table, in order of first appearance. */
export function buildConnections(t: FlowTable): Connection[] {
  const oriented = orientAll(t);
  const out: Connection[] = new Array(t.count);
  // One Host object and one address text per distinct address (IPv4 keyed by the address, IPv6 by -(id + 1)):
  // a quarter million connections between a few thousand hosts format each address once.
  const hosts = new Map<number, Host>();
  const texts = new Map<Host, string>();
  const hostOf = (f: number, side: 0 | 1): Host => {
    const a = t.keys[4 * f + side]!;
    const v6 = (t.keys[4 * f + 3]! & KeyBit.IPV6) !== 0;
    const key = v6 ? -(a + 1) : a;
    let h = hosts.get(key);
    if (!h) {
      const w = t.addrs6.keys;
      h = v6 ? { family: 6, words: [w[4 * a]!, w[4 * a + 1]!, w[4 * a + 2]!, w[4 * a + 3]!] } : { family: 4, words: [a, 0, 0, 0] };
      hosts.set(key, h);
      texts.set(h, endpointAddress(t, f, side));
    }
    return h;
  };
  for (let f = 0; f < t.count; f++) {
    const k = 4 * f;
    const w3 = t.keys[k + 3]!;
    const proto = w3 & 0xff;
    const ports = t.keys[k + 2]!;
    const { clientSide, orientation, portEvidence } = oriented[f]!;
    const clientHost = hostOf(f, clientSide);
    const serverHost = hostOf(f, (1 - clientSide) as 0 | 1);
    const cs = clientSide;
    const ss = (1 - cs) as 0 | 1;
    const o = t.flagsOf(f, cs);
    const r = t.flagsOf(f, ss);
    const cp = t.packetsOf(f, cs);
    const sp = t.packetsOf(f, ss);
    const portOf = (side: 0 | 1) => (side === 0 ? ports >>> 16 : ports & 0xffff);
    const ported = hasPorts(proto);
    const icmpMessage = (w3 & KeyBit.ICMP_MESSAGE) !== 0;
    const bits = t.bits[f]!;
    const synSeen = (bits & FlowBit.SYN_SEEN) !== 0;
    const info = t.synOptInfo[f]!;
    out[f] = {
      id: f,
      family: w3 & KeyBit.IPV6 ? 6 : 4,
      proto: protoName(proto),
      protoNumber: proto,
      client: texts.get(clientHost)!,
      clientPort: ported ? portOf(cs) : null,
      server: texts.get(serverHost)!,
      serverPort: ported ? portOf(ss) : null,
      orientation,
      portEvidence,
      state: proto === 6 ? tcpConnState(o, r, cp, sp) : datagramConnState(cp, sp),
      packets: cp + sp,
      bytes: t.bytesOf(f, cs) + t.bytesOf(f, ss),
      firstTs: Math.min(cp ? t.firstTsOf(f, cs) : Infinity, sp ? t.firstTsOf(f, ss) : Infinity),
      lastTs: Math.max(cp ? t.lastTsOf(f, cs) : -Infinity, sp ? t.lastTsOf(f, ss) : -Infinity),
      clientPackets: cp,
      serverPackets: sp,
      clientBytes: t.bytesOf(f, cs),
      serverBytes: t.bytesOf(f, ss),
      synRetransmits: Math.max(0, t.synsOf(f, cs) - 1),
      synAckRetransmits: Math.max(0, t.synAcksOf(f, ss) - 1),
      attempt: attemptOutcome(proto, o, r, cp, sp, t.icmpErrorLast[f]!, t.icmpErrors[f]!, icmpMessage, w3 & KeyBit.IPV6 ? 6 : 4),
      icmpType: icmpMessage ? ports >>> 16 : null,
      icmpCode: icmpMessage ? ports & 0xffff : null,
      icmpErrors: t.icmpErrors[f]!,
      lastIcmpError: t.icmpErrors[f]! > 0 ? { type: t.icmpErrorLast[f]! >> 8, code: t.icmpErrorLast[f]! & 0xff } : null,
      syn: synSeen
        ? {
            ttl: t.synTtl[f]!,
            window: t.synWindow[f]!,
            mss: info >>> 16 || null,
            wscale: ((info >>> 8) & 0xff) === 255 ? null : (info >>> 8) & 0xff,
            options: layoutText(t.synOptLayout[f]!, info & 0xff),
          }
        : null,
      clientSide: cs,
      clientHost,
      serverHost,
    };
  }
  return out;
}
