/**
 * The connection table: the seam between where traffic comes from and everything that analyses it. One row per
 * connection in typed-array columns (client and server as ids into an address table, ports, per-side counters,
 * first/last time, state, attempt and orientation as small codes, SYN evidence, ICMP attribution), filled from the
 * merged flow table of a capture pass (fromFlowTable), and read by client profiles, verdicts, outcomes, diagnoses,
 * diff and reports. Strings exist only when a row is rendered (addresses are formatted once each, on first use).
 */
import { formatAddress as format4 } from '../wire/ipv4.js';
import { formatAddress as format6 } from '../wire/ipv6.js';
import { hasPorts } from '../decode/batch.js';
import { FlowTable, FlowBit, DirFlag, KeyBit, SESSIONS_PER_FLOW, SESSIONS_MORE, PACKETS, BYTES, FIRST_TS, LAST_TS } from './table.js';
import { KeyIndex } from './keyindex.js';
import { orientByEvidence, orientByPorts, clientSideOf, UNDECIDED } from './orient.js';
import { tcpConnState, datagramConnState } from './state.js';
import type { LoggedColumns } from './logged.js';

/** How a connection attempt ended, as far as the traffic shows; a connection table stores the index. */
export const ATTEMPTS = ['completed', 'rejected', 'unanswered', 'synack-unacked', 'partial'] as const;
export type AttemptOutcome = (typeof ATTEMPTS)[number];
export const Attempt = { COMPLETED: 0, REJECTED: 1, UNANSWERED: 2, SYNACK_UNACKED: 3, PARTIAL: 4 } as const;

const PROTO_NAMES: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 33: 'dccp', 47: 'gre', 50: 'esp', 51: 'ah', 58: 'icmp6', 132: 'sctp', 136: 'udplite' };

/** Short protocol name (`tcp`, `udp`, `icmp`, `icmp6`, ...), or the number. */
export function protoName(p: number): string {
  return PROTO_NAMES[p] ?? String(p);
}

/** An address as the batch columns hold it (IPv4 in word 0). */
export interface Host {
  family: 4 | 6;
  words: [number, number, number, number];
}

/** Distinct addresses, each with a dense id (first use order): family, four words, and its text on demand. */
export class AddressTable {
  count = 0;
  family: Uint8Array;
  /** Four words per id (IPv4 in word 0). */
  words: Uint32Array;
  private readonly v4 = new KeyIndex(256);
  private readonly v6 = new KeyIndex(64);
  private texts: (string | undefined)[] = [];

  constructor(capacity = 256) {
    this.family = new Uint8Array(capacity);
    this.words = new Uint32Array(4 * capacity);
  }

  /** Id of an IPv4 address, added when new. */
  intern4(a: number): number {
    const known = this.v4.count;
    const k = this.v4.intern(a, 0, 0, 0);
    if (this.v4.count > known) this.v4.values[k] = this.add(4, a, 0, 0, 0);
    return this.v4.values[k]!;
  }

  /** Id of an IPv6 address, added when new. */
  intern6(w0: number, w1: number, w2: number, w3: number): number {
    const known = this.v6.count;
    const k = this.v6.intern(w0, w1, w2, w3);
    if (this.v6.count > known) this.v6.values[k] = this.add(6, w0, w1, w2, w3);
    return this.v6.values[k]!;
  }

  /** Id of an address, or -1 when the table does not hold it. */
  find(family: 4 | 6, w0: number, w1 = 0, w2 = 0, w3 = 0): number {
    const k = family === 4 ? this.v4.find(w0, 0, 0, 0) : this.v6.find(w0, w1, w2, w3);
    return k < 0 ? -1 : (family === 4 ? this.v4 : this.v6).values[k]!;
  }

  private add(family: 4 | 6, w0: number, w1: number, w2: number, w3: number): number {
    if (this.count === this.family.length) {
      const c = 2 * this.count;
      const f = new Uint8Array(c);
      f.set(this.family);
      const w = new Uint32Array(4 * c);
      w.set(this.words);
      this.family = f;
      this.words = w;
    }
    const id = this.count++;
    this.family[id] = family;
    const k = 4 * id;
    this.words[k] = w0;
    this.words[k + 1] = w1;
    this.words[k + 2] = w2;
    this.words[k + 3] = w3;
    return id;
  }

  /** The address as text (formatted once, on first use). */
  text(id: number): string {
    let t = this.texts[id];
    if (t === undefined) {
      const k = 4 * id;
      const w = this.words;
      t = this.family[id] === 4 ? format4(w[k]!) : format6(w[k]!, w[k + 1]!, w[k + 2]!, w[k + 3]!);
      this.texts[id] = t;
    }
    return t;
  }

  /** The address as a Host value (for code that takes one address at a time). */
  host(id: number): Host {
    const k = 4 * id;
    const w = this.words;
    return { family: this.family[id] as 4 | 6, words: [w[k]!, w[k + 1]!, w[k + 2]!, w[k + 3]!] };
  }

  byteSize(): number {
    return this.family.byteLength + this.words.byteLength + this.v4.byteSize() + this.v6.byteSize();
  }
}

/** Per-connection bits of the connection table. */
export const ConnBit = {
  /** The first SYN's TTL, window and options are known (synTtl...). */
  SYN_SEEN: 0x01,
  /** An ICMP error or other non-echo message: icmpType/icmpCode hold its type and code. */
  ICMP_MESSAGE: 0x02,
} as const;

/** Connections in typed-array columns, one row each, in order of first appearance. */
export class ConnectionTable {
  readonly addresses: AddressTable;
  family: Uint8Array;
  proto: Uint8Array;
  /** Address ids (see addresses). */
  client: Uint32Array;
  server: Uint32Array;
  /** Ports for protocols that have them (hasPorts(proto)); 0 otherwise. */
  clientPort: Uint16Array;
  serverPort: Uint16Array;
  clientPackets: Float64Array;
  serverPackets: Float64Array;
  clientBytes: Float64Array;
  serverBytes: Float64Array;
  firstTs: Float64Array;
  lastTs: Float64Array;
  /** Orientation code (src/flow/orient.ts): the deciding rule, its port evidence, the client's side of the key. */
  orientation: Uint8Array;
  /** Index into CONN_STATES. */
  state: Uint8Array;
  /** Index into ATTEMPTS. */
  attempt: Uint8Array;
  /** ConnBit bits. */
  bits: Uint8Array;
  /** What each side sent: DirFlag bits (TCP flags OR-ed, SYN, SYN-ACK, DNS and ICMP hints). */
  clientFlags: Uint16Array;
  serverFlags: Uint16Array;
  synRetransmits: Uint8Array;
  synAckRetransmits: Uint8Array;
  /** For ICMP messages (ConnBit.ICMP_MESSAGE). */
  icmpType: Uint8Array;
  icmpCode: Uint8Array;
  /** ICMP errors quoting the connection (saturating) and the last one's type << 8 | code. */
  icmpErrors: Uint16Array;
  lastIcmpError: Uint16Array;
  /** The first SYN's IP TTL, window, option layout and (mss << 16 | wscale << 8 | option count). */
  synTtl: Uint8Array;
  synWindow: Uint16Array;
  synOptLayout: Uint32Array;
  synOptInfo: Uint32Array;
  /** Flow logs only (src/flow/logged.ts): interface, records, ACCEPT/REJECT per side, file and line; null for captures. */
  logs: LoggedColumns | null = null;
  /**
   * The mirror sessions that delivered the connection's packets: SESSIONS_PER_FLOW session keys per connection,
   * first seen first; `mirrorSessionCount[i]` says how many slots are used, plus SESSIONS_MORE when more sessions
   * did. Null when no packet of the capture came through a tunnel (the records then have no session fields).
   */
  mirrorSessions: Uint32Array | null = null;
  mirrorSessionCount: Uint8Array | null = null;
  /** Session key -> name (decode/tunnels.ts sessionNames). */
  sessionNames: ReadonlyMap<number, string> = new Map();

  constructor(
    readonly count: number,
    addresses = new AddressTable(),
  ) {
    const n = count;
    this.addresses = addresses;
    this.family = new Uint8Array(n);
    this.proto = new Uint8Array(n);
    this.client = new Uint32Array(n);
    this.server = new Uint32Array(n);
    this.clientPort = new Uint16Array(n);
    this.serverPort = new Uint16Array(n);
    this.clientPackets = new Float64Array(n);
    this.serverPackets = new Float64Array(n);
    this.clientBytes = new Float64Array(n);
    this.serverBytes = new Float64Array(n);
    this.firstTs = new Float64Array(n);
    this.lastTs = new Float64Array(n);
    this.orientation = new Uint8Array(n);
    this.state = new Uint8Array(n);
    this.attempt = new Uint8Array(n);
    this.bits = new Uint8Array(n);
    this.clientFlags = new Uint16Array(n);
    this.serverFlags = new Uint16Array(n);
    this.synRetransmits = new Uint8Array(n);
    this.synAckRetransmits = new Uint8Array(n);
    this.icmpType = new Uint8Array(n);
    this.icmpCode = new Uint8Array(n);
    this.icmpErrors = new Uint16Array(n);
    this.lastIcmpError = new Uint16Array(n);
    this.synTtl = new Uint8Array(n);
    this.synWindow = new Uint16Array(n);
    this.synOptLayout = new Uint32Array(n);
    this.synOptInfo = new Uint32Array(n);
  }

  /** The names of the mirror sessions that delivered connection i (null when the capture had no tunnels). */
  sessionsOf(i: number): string[] | null {
    const s = this.mirrorSessions;
    if (s === null) return null;
    const used = this.mirrorSessionCount![i]! & ~SESSIONS_MORE;
    const out: string[] = [];
    for (let j = SESSIONS_PER_FLOW * i; j < SESSIONS_PER_FLOW * i + used; j++) out.push(this.sessionName(s[j]!));
    return out;
  }

  /** The name of a session key (a key the tunnel summary does not name shows as its hash). */
  sessionName(key: number): string {
    return this.sessionNames.get(key) ?? `session-${key.toString(16).padStart(8, '0')}`;
  }

  /** True when more than SESSIONS_PER_FLOW mirror sessions delivered connection i. */
  moreSessions(i: number): boolean {
    return this.mirrorSessionCount !== null && (this.mirrorSessionCount[i]! & SESSIONS_MORE) !== 0;
  }

  /** True when the row's protocol has ports (clientPort/serverPort are meaningful). */
  ported(i: number): boolean {
    return hasPorts(this.proto[i]!);
  }

  /** Bytes held by the columns and the address table. */
  byteSize(): number {
    let n = this.addresses.byteSize();
    for (const v of Object.values(this)) if (ArrayBuffer.isView(v)) n += v.byteLength;
    return n + (this.logs?.byteSize() ?? 0);
  }
}

/** How the attempt ended (index into ATTEMPTS), from what the client (o) and server (r) sent. */
export function attemptOutcome(proto: number, o: number, r: number, oPackets: number, rPackets: number, icmpLast: number, icmpErrors: number, icmpMessage = false, family: 4 | 6 = 4): number {
  if (icmpMessage) return Attempt.PARTIAL;
  if (proto === 6) {
    const handshake = (o | r) & (DirFlag.BARE_SYN | DirFlag.SYN_ACK);
    if (!handshake) return oPackets > 0 && rPackets > 0 ? Attempt.COMPLETED : Attempt.PARTIAL;
    // The client acknowledged the server's SYN-ACK (its own SYN may be missing from the capture).
    if (r & DirFlag.SYN_ACK && o & DirFlag.ACK) return Attempt.COMPLETED;
    if (r & DirFlag.RST) return Attempt.REJECTED;
    if (r & DirFlag.SYN_ACK) return Attempt.SYNACK_UNACKED;
    if (o & DirFlag.BARE_SYN && rPackets === 0) return Attempt.UNANSWERED;
    return Attempt.PARTIAL;
  }
  if (rPackets > 0) return Attempt.COMPLETED;
  // A destination unreachable quoting the request (ICMP type 3, ICMPv6 type 1): the server side said no (port or
  // protocol unreachable). ICMPv6 type 3 is time exceeded, not a refusal.
  if (icmpErrors > 0 && icmpLast >> 8 === (family === 6 ? 1 : 3)) return Attempt.REJECTED;
  return oPackets > 0 ? Attempt.UNANSWERED : Attempt.PARTIAL;
}

/** Orient every flow of the table: evidence first, then ports (using the server ports evidence revealed). */
export function orientFlows(t: FlowTable, servers?: ServerPorts): Uint8Array {
  const out = new Uint8Array(t.count);
  const seen = servers ?? serverPorts(t, out);
  if (servers) for (let f = 0; f < t.count; f++) out[f] = evidenceOf(t, f);
  const keys = t.keys;
  for (let f = 0; f < t.count; f++) {
    if (out[f] !== UNDECIDED) continue;
    const proto = keys[4 * f + 3]! & 0xff;
    const ports = keys[4 * f + 2]!;
    out[f] = hasPorts(proto) ? orientByPorts(ports >>> 16, ports & 0xffff, t.bits[f]!, seen[proto] ?? null) : orientByPorts(0, 0, t.bits[f]!, null);
  }
  return out;
}

/** Per protocol, the ports some connection decided by its own evidence was served on (1 per port), or null. */
export type ServerPorts = (Uint8Array | null)[];

/** Flow f's orientation from its own evidence (UNDECIDED when only ports could decide). */
function evidenceOf(t: FlowTable, f: number): number {
  const keys = t.keys;
  const w3 = keys[4 * f + 3]!;
  const icmpType = w3 & KeyBit.ICMP_MESSAGE ? keys[4 * f + 2]! >>> 16 : -1;
  return orientByEvidence(w3 & 0xff, t.bits[f]!, t.flagsOf(f, 0), t.flagsOf(f, 1), icmpType);
}

/**
 * The server ports of a table: for each connection its evidence orientation (into `out` when given), and the port
 * it was served on marked per protocol. Capture-wide: a reducer's table gives its part, and the parts OR together
 * (src/shard/reduce.ts).
 */
export function serverPorts(t: FlowTable, out?: Uint8Array): ServerPorts {
  const servers: ServerPorts = new Array(256).fill(null);
  const keys = t.keys;
  for (let f = 0; f < t.count; f++) {
    const o = evidenceOf(t, f);
    if (out) out[f] = o;
    const proto = keys[4 * f + 3]! & 0xff;
    if (o !== UNDECIDED && hasPorts(proto)) {
      const ports = keys[4 * f + 2]!;
      const seen = (servers[proto] ??= new Uint8Array(65536));
      seen[clientSideOf(o) === 0 ? ports & 0xffff : ports >>> 16] = 1;
    }
  }
  return servers;
}

/**
 * Address ids of `addrs` for the endpoint words of a key: an IPv4 address itself, or an IPv6 address id of `addrs6`
 * (the key's own index), each interned on first use.
 */
export function keyAddresses(addrs: AddressTable, addrs6: KeyIndex): (word: number, v6: boolean) => number {
  const v6ids = new Int32Array(addrs6.count).fill(-1);
  const a6 = addrs6.keys;
  return (word: number, v6: boolean): number => {
    if (!v6) return addrs.intern4(word);
    let id = v6ids[word]!;
    if (id < 0) v6ids[word] = id = addrs.intern6(a6[4 * word]!, a6[4 * word + 1]!, a6[4 * word + 2]!, a6[4 * word + 3]!);
    return id;
  };
}

/**
 * The connection table of a merged flow table (rows in the same order: row i is flow i). Allocates per column
 * and per distinct address, nothing per connection. `sessionNames` names the tunnel rows the flows' sessions refer to.
 */
export function fromFlowTable(t: FlowTable, sessionNames: ReadonlyMap<number, string> = new Map(), servers?: ServerPorts): ConnectionTable {
  const n = t.count;
  const ct = new ConnectionTable(n, new AddressTable(Math.max(256, Math.min(n, 1 << 16))));
  if (t.sessions !== null) {
    ct.mirrorSessions = t.sessions.slice(0, SESSIONS_PER_FLOW * n);
    ct.mirrorSessionCount = t.sessionCount!.slice(0, n);
    ct.sessionNames = sessionNames;
  }
  const orient = orientFlows(t, servers);
  ct.orientation.set(orient);
  const addressOf = keyAddresses(ct.addresses, t.addrs6);
  const keys = t.keys;
  const counters = t.counters;
  for (let f = 0; f < n; f++) {
    const k = 4 * f;
    const w3 = keys[k + 3]!;
    const proto = w3 & 0xff;
    const v6 = (w3 & KeyBit.IPV6) !== 0;
    const family = v6 ? 6 : 4;
    const ports = keys[k + 2]!;
    const cs = clientSideOf(orient[f]!);
    const ss = 1 - cs;
    const client = addressOf(keys[k + cs]!, v6);
    const server = addressOf(keys[k + ss]!, v6);
    const o = t.flagsOf(f, cs);
    const r = t.flagsOf(f, ss);
    // The counters read in place: V8 does not inline accessors into a loop this long, and a double returned from a
    // call is a heap number (one per connection).
    const jc = 8 * f + 4 * cs;
    const js = 8 * f + 4 * ss;
    const cp = counters[jc + PACKETS]!;
    const sp = counters[js + PACKETS]!;
    const icmpMessage = (w3 & KeyBit.ICMP_MESSAGE) !== 0;
    const bits = t.bits[f]!;
    ct.family[f] = family;
    ct.proto[f] = proto;
    ct.client[f] = client;
    ct.server[f] = server;
    if (hasPorts(proto)) {
      ct.clientPort[f] = cs === 0 ? ports >>> 16 : ports & 0xffff;
      ct.serverPort[f] = cs === 0 ? ports & 0xffff : ports >>> 16;
    }
    ct.clientPackets[f] = cp;
    ct.serverPackets[f] = sp;
    ct.clientBytes[f] = counters[jc + BYTES]!;
    ct.serverBytes[f] = counters[js + BYTES]!;
    if (cp === 0 && sp === 0) {
      ct.firstTs[f] = Infinity;
      ct.lastTs[f] = -Infinity;
    } else if (cp === 0) {
      ct.firstTs[f] = counters[js + FIRST_TS]!;
      ct.lastTs[f] = counters[js + LAST_TS]!;
    } else if (sp === 0) {
      ct.firstTs[f] = counters[jc + FIRST_TS]!;
      ct.lastTs[f] = counters[jc + LAST_TS]!;
    } else {
      const a = counters[jc + FIRST_TS]!;
      const b = counters[js + FIRST_TS]!;
      ct.firstTs[f] = a < b ? a : b;
      const y = counters[jc + LAST_TS]!;
      const z = counters[js + LAST_TS]!;
      ct.lastTs[f] = y > z ? y : z;
    }
    ct.state[f] = proto === 6 ? tcpConnState(o, r, cp, sp) : datagramConnState(cp, sp);
    ct.attempt[f] = attemptOutcome(proto, o, r, cp, sp, t.icmpErrorLast[f]!, t.icmpErrors[f]!, icmpMessage, family);
    ct.bits[f] = (bits & FlowBit.SYN_SEEN ? ConnBit.SYN_SEEN : 0) | (icmpMessage ? ConnBit.ICMP_MESSAGE : 0);
    ct.clientFlags[f] = o;
    ct.serverFlags[f] = r;
    ct.synRetransmits[f] = Math.max(0, t.synsOf(f, cs) - 1);
    ct.synAckRetransmits[f] = Math.max(0, t.synAcksOf(f, ss) - 1);
    if (icmpMessage) {
      ct.icmpType[f] = ports >>> 16;
      ct.icmpCode[f] = ports & 0xffff;
    }
    ct.icmpErrors[f] = t.icmpErrors[f]!;
    ct.lastIcmpError[f] = t.icmpErrorLast[f]!;
    if (bits & FlowBit.SYN_SEEN) {
      ct.synTtl[f] = t.synTtl[f]!;
      ct.synWindow[f] = t.synWindow[f]!;
      ct.synOptLayout[f] = t.synOptLayout[f]!;
      ct.synOptInfo[f] = t.synOptInfo[f]!;
    }
  }
  return ct;
}
