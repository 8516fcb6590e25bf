/**
 * The connection table of folded flow-log records (src/flow/connections.ts), rows in the fold's order, with its
 * logged-traffic columns (src/flow/logged.ts). Orientation uses the capture's rules where the records carry their
 * evidence (src/flow/orient.ts): tcp-flags SYN (2) versus SYN-ACK (18), then the port heuristics, then
 * `flow-direction`, then the side whose first record started first.
 *
 * Addresses: a record's srcaddr / dstaddr are the interface's view; pkt-srcaddr / pkt-dstaddr are "the packet-level
 * (original) source / destination IP address of the traffic" (flow-log-records, Available fields). They differ
 * where the interface is a NAT gateway, a load balancer or a transit hop, which receives traffic for others; a
 * network ACL judges the packet's own header, so the table uses the packet-level address there and keeps the
 * logged one in `logs.loggedClient` / `logs.loggedServer` (LoggedBit.CLIENT_TRANSLATED / SERVER_TRANSLATED).
 */
import { ConnectionTable, AddressTable, Attempt, keyAddresses } from '../flow/connections.js';
import { LoggedColumns, LoggedBit } from '../flow/logged.js';
import { DirFlag, FlowBit, KeyBit } from '../flow/table.js';
import { hasPorts } from '../decode/batch.js';
import { orientByEvidence, orientByPorts, orientByFlowDirection, clientSideOf, isFirstPacketOrientation, UNDECIDED } from '../flow/orient.js';
import { tcpConnState, datagramConnState } from '../flow/state.js';
import { FlowLogConnections, ConnBit, Verdict, PktDiffers } from './connections.js';

/** Names the rows refer to: the reader's interned interface and subnet ids and its files, in reading order. */
export interface LoggedNames {
  interfaces: readonly string[];
  subnets: readonly string[];
  files: readonly string[];
}

/**
 * Orientation code of every folded connection. "First" is by time: the direction whose first record started
 * earlier (records carry whole seconds, so a tie falls back to the first record read).
 */
export function orientLogged(t: FlowLogConnections): Uint8Array {
  const n = t.count;
  const out = new Uint8Array(n);
  const servers: (Uint8Array | null)[] = new Array(256).fill(null);
  const keys = t.keys;
  for (let c = 0; c < n; c++) {
    const proto = keys[4 * c + 3]! & 0xff;
    const o = orientByEvidence(proto, t.bits[c]!, t.flagsOf(c, 0), t.flagsOf(c, 1));
    out[c] = o;
    if (o !== UNDECIDED && hasPorts(proto)) {
      const ports = keys[4 * c + 2]!;
      const seen = (servers[proto] ??= new Uint8Array(65536));
      seen[clientSideOf(o) === 0 ? ports & 0xffff : ports >>> 16] = 1;
    }
  }
  for (let c = 0; c < n; c++) {
    if (out[c] !== UNDECIDED) continue;
    const proto = keys[4 * c + 3]! & 0xff;
    const ports = keys[4 * c + 2]!;
    const had0 = t.records[2 * c]! > 0;
    const had1 = t.records[2 * c + 1]! > 0;
    let bits = t.bits[c]!;
    if (had0 && had1) {
      const s0 = t.firstTsOf(c, 0);
      const s1 = t.firstTsOf(c, 1);
      if (s0 < s1) bits &= ~FlowBit.FIRST_DIR_HI;
      else if (s1 < s0) bits |= FlowBit.FIRST_DIR_HI;
    }
    let o = hasPorts(proto) ? orientByPorts(ports >>> 16, ports & 0xffff, bits, servers[proto] ?? null) : orientByPorts(0, 0, bits, null);
    // One direction only, its records saying which way it crossed the interface: its sender is the client.
    if (isFirstPacketOrientation(o) && had0 !== had1 && t.flowDirs[2 * c + (had0 ? 0 : 1)]! !== 0) o = orientByFlowDirection(had0 ? 0 : 1);
    out[c] = o;
  }
  return out;
}

/**
 * How a logged attempt ended (index into ATTEMPTS). tcp-flags logs no ACK outside SYN-ACK ("tcp-flags does not
 * support logging ACK or PSH flags", flow-log-records), so a handshake counts as completed when the server's SYN-ACK
 * was accepted and the client sent at least two accepted packets (its SYN and more). A side whose records were all
 * REJECT never got its packets through: a client whose replies were rejected saw no answer.
 */
export function loggedAttempt(proto: number, o: number, r: number, clientAccepted: number, serverAccepted: number, flagsKnown: boolean): number {
  if (proto === 6 && flagsKnown) {
    if (r & DirFlag.SYN_ACK && serverAccepted > 0 && clientAccepted >= 2) return Attempt.COMPLETED;
    if (r & DirFlag.RST && serverAccepted > 0) return Attempt.REJECTED;
    if (r & DirFlag.SYN_ACK) return serverAccepted === 0 ? Attempt.UNANSWERED : Attempt.SYNACK_UNACKED;
    if (o & DirFlag.BARE_SYN) return serverAccepted === 0 ? Attempt.UNANSWERED : Attempt.PARTIAL;
  }
  if (clientAccepted > 0 && serverAccepted > 0) return Attempt.COMPLETED;
  if (clientAccepted > 0) return Attempt.UNANSWERED;
  return Attempt.PARTIAL;
}

/**
 * The connection table of `t` (row c is folded connection c), with `logs` filled. Allocates per column and per
 * distinct address, nothing per connection.
 */
export function fromFlowLogConnections(t: FlowLogConnections, names: LoggedNames): ConnectionTable {
  const n = t.count;
  const ct = new ConnectionTable(n, new AddressTable(Math.max(256, Math.min(n, 1 << 16))));
  const logs = new LoggedColumns(n, names.interfaces, names.files, names.subnets);
  ct.logs = logs;
  const orient = orientLogged(t);
  ct.orientation.set(orient);
  const addrs = ct.addresses;
  const addressOf = keyAddresses(addrs, t.addrs6);
  const keys = t.keys;
  const packetLevel = new Int32Array(2);
  for (let c = 0; c < n; c++) {
    const k = 4 * c;
    const w3 = keys[k + 3]!;
    const proto = w3 & 0xff;
    const v6 = (w3 & KeyBit.IPV6) !== 0;
    const ports = keys[k + 2]!;
    const cs = clientSideOf(orient[c]!);
    const ss = 1 - cs;
    let lbits = 0;
    const tb = t.bits[c]!;
    if (tb & ConnBit.TCP_FLAGS_KNOWN) lbits |= LoggedBit.TCP_FLAGS_KNOWN;
    if (tb & ConnBit.FLOW_DIRECTION_KNOWN) lbits |= LoggedBit.FLOW_DIRECTION_KNOWN;
    if (tb & ConnBit.PKT_ADDRS_VARY) lbits |= LoggedBit.PKT_ADDRS_VARY;
    // The packet-level address of each key side: from its own direction's pkt-srcaddr, else the other direction's
    // pkt-dstaddr; -1 when no record said it differs.
    for (let side = 0; side < 2; side++) {
      packetLevel[side] = -1;
      const own = t.pktRow[2 * c + side]!;
      const other = t.pktRow[2 * c + 1 - side]!;
      let words: Uint32Array | null = null;
      let at = 0;
      if (own >= 0 && t.pktBits[own]! & PktDiffers.SRC) {
        words = t.pktSrc;
        at = 4 * own;
      } else if (other >= 0 && t.pktBits[other]! & PktDiffers.DST) {
        words = t.pktDst;
        at = 4 * other;
      }
      if (words) packetLevel[side] = v6 ? addrs.intern6(words[at]!, words[at + 1]!, words[at + 2]!, words[at + 3]!) : addrs.intern4(words[at]!);
    }
    const loggedC = addressOf(keys[k + cs]!, v6);
    const loggedS = addressOf(keys[k + ss]!, v6);
    const pc = packetLevel[cs]!;
    const ps = packetLevel[ss]!;
    ct.family[c] = v6 ? 6 : 4;
    ct.proto[c] = proto;
    ct.client[c] = pc >= 0 ? pc : loggedC;
    ct.server[c] = ps >= 0 ? ps : loggedS;
    if (pc >= 0 && pc !== loggedC) {
      lbits |= LoggedBit.CLIENT_TRANSLATED;
      logs.loggedClient[c] = loggedC;
    }
    if (ps >= 0 && ps !== loggedS) {
      lbits |= LoggedBit.SERVER_TRANSLATED;
      logs.loggedServer[c] = loggedS;
    }
    if (hasPorts(proto)) {
      ct.clientPort[c] = cs === 0 ? ports >>> 16 : ports & 0xffff;
      ct.serverPort[c] = cs === 0 ? ports & 0xffff : ports >>> 16;
    }
    const cp = t.packetsOf(c, cs);
    const sp = t.packetsOf(c, ss);
    ct.clientPackets[c] = cp;
    ct.serverPackets[c] = sp;
    ct.clientBytes[c] = t.bytesOf(c, cs);
    ct.serverBytes[c] = t.bytesOf(c, ss);
    const hasC = t.records[2 * c + cs]! > 0;
    const hasS = t.records[2 * c + ss]! > 0;
    ct.firstTs[c] = Math.min(hasC ? t.firstTsOf(c, cs) : Infinity, hasS ? t.firstTsOf(c, ss) : Infinity);
    ct.lastTs[c] = Math.max(hasC ? t.lastTsOf(c, cs) : -Infinity, hasS ? t.lastTsOf(c, ss) : -Infinity);
    const o = t.flagsOf(c, cs);
    const r = t.flagsOf(c, ss);
    const cAcc = cp - t.verdictOf(c, cs, Verdict.REJECT_PACKETS);
    const sAcc = sp - t.verdictOf(c, ss, Verdict.REJECT_PACKETS);
    const attempt = loggedAttempt(proto, o, r, cAcc, sAcc, (tb & ConnBit.TCP_FLAGS_KNOWN) !== 0);
    ct.attempt[c] = attempt;
    // conn_state as the client saw it: what it sent (logged, accepted or not) and what reached it from the server
    // (accepted), with the client's ACK implied where the handshake completed.
    const oState = attempt === Attempt.COMPLETED && r & DirFlag.SYN_ACK ? o | DirFlag.ACK : o;
    ct.state[c] = proto === 6 ? tcpConnState(oState, r, cp, sAcc) : datagramConnState(cp, sAcc);
    ct.clientFlags[c] = o;
    ct.serverFlags[c] = r;
    logs.iface[c] = t.iface[c]!;
    logs.subnet[c] = t.subnet[c]!;
    logs.bits[c] = lbits;
    for (let side = 0; side < 2; side++) {
      const d = side === 0 ? cs : ss;
      const from = 2 * c + d;
      const to = 2 * c + side;
      logs.records[to] = t.records[from]!;
      logs.rejectRecords[to] = t.verdictOf(c, d, Verdict.REJECT_RECORDS);
      logs.rejectPackets[to] = t.verdictOf(c, d, Verdict.REJECT_PACKETS);
      logs.rejectBytes[to] = t.verdictOf(c, d, Verdict.REJECT_BYTES);
      if (t.records[from]! > 0) {
        logs.firstFile[to] = t.firstFile[from]!;
        logs.firstLine[to] = t.firstLine[from]!;
      }
      logs.tcpFlags[to] = t.awsFlags[from]!;
      logs.flowDirs[to] = t.flowDirs[from]!;
    }
  }
  return ct;
}
