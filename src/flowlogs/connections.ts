/**
 * Flow-log records folded into connections. "Each record captures a network internet protocol (IP) traffic flow
 * (characterized by a 5-tuple on a per network interface basis) that occurs within an aggregation interval"
 * (https://docs.aws.amazon.com/vpc/latest/userguide/flow-log-records.html): so a record is one direction of one
 * 5-tuple on one interface for one interval. A record and the records of its reverse 5-tuple on the same interface
 * over adjacent intervals are one connection; the same 5-tuple after a silence longer than an interval is a new one.
 *
 * The key is the flow table's canonical key (src/flow/table.ts: lower endpoint, higher endpoint, ports, protocol and
 * KeyBit.IPV6; IPv6 addresses interned in `addrs6`) plus the interface as a fifth key column, hashed together: the
 * same 5-tuple on two interfaces (the client's ENI and the server's, a NAT gateway's two legs) is two connections,
 * and keys[] stays exactly what the capture path would build for the 5-tuple. Per-direction columns use the flow
 * table's layouts (counters 8 per connection, dirInfo 2), so orientation and reports can read either table.
 */
import { FlowLogBatch, Has } from './batch.js';
import { Action, FlowDirection, LogStatus } from './fields.js';
import { DirFlag, FlowBit, canonicalKey, packetKey } from '../flow/table.js';
import { hash4, KeyIndex } from '../flow/keyindex.js';
import { grown, type Column } from '../typed.js';

/** Per-connection bits beyond FlowBit (which keeps FIRST_DIR_HI, SYN_SEEN, SYN_DIR_HI, SYNACK_SEEN, SYNACK_DIR_HI). */
export const ConnBit = {
  /** Some record of the connection had tcp-flags (a v3+ custom format). */
  TCP_FLAGS_KNOWN: 0x1000,
  /** Some record had flow-direction (v5). */
  FLOW_DIRECTION_KNOWN: 0x2000,
  /** Records of one direction disagreed on pkt-srcaddr / pkt-dstaddr (only the first is kept). */
  PKT_ADDRS_VARY: 0x4000,
} as const;

/** Bits of flowDirs: which flow-direction values the direction's records carried. */
export const DirSeen = { INGRESS: 1, EGRESS: 2 } as const;

/** Offsets in the 6 verdict counters of a direction: verdicts[12 * conn + 6 * dir + slot]. */
export const Verdict = { ACCEPT_RECORDS: 0, ACCEPT_PACKETS: 1, ACCEPT_BYTES: 2, REJECT_RECORDS: 3, REJECT_PACKETS: 4, REJECT_BYTES: 5 } as const;

/** A direction's action over its records. */
export const DirAction = { NONE: 0, ACCEPT: 1, REJECT: 2, MIXED: 3 } as const;

/** Bits of pktBits: which of the row's pkt addresses differ from the record's srcaddr / dstaddr. */
export const PktDiffers = { SRC: 1, DST: 2 } as const;

/**
 * AWS tcp-flags to DirFlag bits. tcp-flags logs FIN (1), SYN (2), RST (4), and ACK (16) only as part of SYN-ACK
 * (18): "tcp-flags does not support logging ACK or PSH flags" and "if ACK is a part of SYN-ACK, it reports 18"
 * (flow-log-records, tcp-flags). So SYN alone is a bare SYN, 18 a SYN-ACK, and ACK is never set otherwise.
 */
export function dirFlagsFromTcpFlags(v: number): number {
  let f = 0;
  if (v & 0x01) f |= DirFlag.FIN;
  if (v & 0x04) f |= DirFlag.RST;
  if (v & 0x02) f |= v & 0x10 ? DirFlag.SYN | DirFlag.ACK | DirFlag.SYN_ACK : DirFlag.SYN | DirFlag.BARE_SYN;
  else if (v & 0x10) f |= DirFlag.ACK;
  return f;
}

export interface FoldOptions {
  /**
   * The flow log's maximum aggregation interval in seconds: a record that starts more than this after the
   * connection's last record ended (or ends this long before its first began) starts a new connection. AWS's
   * default is 600 (10 minutes), 60 when chosen, and at most 60 on Nitro instances (flow-log-records, "Aggregation
   * interval").
   */
  intervalSeconds?: number;
}

const GROWTH = 1.5;

/** Connections folded from flow-log records: typed-array columns, one row per connection, found by a 5-word hash. */
export class FlowLogConnections {
  count = 0;
  capacity: number;
  readonly intervalSeconds: number;
  /** Canonical keys as in FlowTable, 4 words per connection. */
  keys: Uint32Array;
  /** The interface (the reader's interned interface-id) the connection's records came from. */
  iface: Int32Array;
  /** Per direction: packets, bytes, first start, last end (counters[8 * c + 4 * dir + 0..3], as FlowTable). */
  counters: Float64Array;
  /** Per direction: DirFlag bits from tcp-flags (low 16), records with a bare SYN (16-23) and with a SYN-ACK (24-31). */
  dirInfo: Uint32Array;
  /** Per direction: records folded in. */
  records: Uint32Array;
  /** Per direction: the Verdict counters (records, packets, bytes of ACCEPT and of REJECT). */
  verdicts: Float64Array;
  /** Per direction: tcp-flags as logged, OR-ed over the records. */
  awsFlags: Uint8Array;
  /** Per direction: DirSeen bits of flow-direction. */
  flowDirs: Uint8Array;
  /** Per direction: the last traffic-path logged (0: none). */
  trafficPath: Uint8Array;
  /** Per connection: FlowBit and ConnBit bits. */
  bits: Uint16Array;
  /** Per connection: interned subnet-id of the first record that had one, -1 when none. */
  subnet: Int32Array;
  /** Per direction: the direction's first record, its file (reader.files index) and line: an example to cite. */
  firstFile: Int32Array;
  firstLine: Uint32Array;
  /** Per direction: row in the pkt-address table when pkt-srcaddr/pkt-dstaddr differ from srcaddr/dstaddr, else -1. */
  pktRow: Int32Array;
  /** pkt-address rows: pkt-srcaddr and pkt-dstaddr (4 words each, family of the connection) and PktDiffers bits. */
  pktSrc: Uint32Array;
  pktDst: Uint32Array;
  pktBits: Uint8Array;
  pktCount = 0;
  /** IPv6 addresses interned to ids (key words 0 and 1 of IPv6 connections), as FlowTable.addrs6. */
  readonly addrs6: KeyIndex;
  /** Records skipped because they were not OK records (NODATA, SKIPDATA: see the reader's gaps). */
  skippedRecords = 0;

  private slots: Int32Array;
  private mask: number;

  constructor(opts: FoldOptions = {}, initialCapacity = 1024) {
    this.intervalSeconds = opts.intervalSeconds ?? 600;
    const c = (this.capacity = Math.max(16, initialCapacity));
    this.keys = new Uint32Array(4 * c);
    this.iface = new Int32Array(c);
    this.counters = new Float64Array(8 * c);
    this.dirInfo = new Uint32Array(2 * c);
    this.records = new Uint32Array(2 * c);
    this.verdicts = new Float64Array(12 * c);
    this.awsFlags = new Uint8Array(2 * c);
    this.flowDirs = new Uint8Array(2 * c);
    this.trafficPath = new Uint8Array(2 * c);
    this.bits = new Uint16Array(c);
    this.subnet = new Int32Array(c);
    this.firstFile = new Int32Array(2 * c);
    this.firstLine = new Uint32Array(2 * c);
    this.pktRow = new Int32Array(2 * c);
    this.pktSrc = new Uint32Array(64);
    this.pktDst = new Uint32Array(64);
    this.pktBits = new Uint8Array(16);
    let slots = 32;
    while (slots < 2 * c) slots <<= 1;
    this.slots = new Int32Array(slots).fill(-1);
    this.mask = slots - 1;
    this.addrs6 = new KeyIndex(64);
  }

  packetsOf(c: number, dir: number): number {
    return this.counters[8 * c + 4 * dir]!;
  }
  bytesOf(c: number, dir: number): number {
    return this.counters[8 * c + 4 * dir + 1]!;
  }
  firstTsOf(c: number, dir: number): number {
    return this.counters[8 * c + 4 * dir + 2]!;
  }
  lastTsOf(c: number, dir: number): number {
    return this.counters[8 * c + 4 * dir + 3]!;
  }
  flagsOf(c: number, dir: number): number {
    return this.dirInfo[2 * c + dir]! & 0xffff;
  }
  verdictOf(c: number, dir: number, slot: number): number {
    return this.verdicts[12 * c + 6 * dir + slot]!;
  }
  /** ACCEPT, REJECT or MIXED over the direction's records; NONE when the direction had none. */
  actionOf(c: number, dir: number): number {
    const a = this.verdicts[12 * c + 6 * dir + Verdict.ACCEPT_RECORDS]! > 0;
    const r = this.verdicts[12 * c + 6 * dir + Verdict.REJECT_RECORDS]! > 0;
    return a ? (r ? DirAction.MIXED : DirAction.ACCEPT) : r ? DirAction.REJECT : DirAction.NONE;
  }

  /** The latest connection with this key on this interface, or -1. */
  find(w0: number, w1: number, w2: number, w3: number, iface: number): number {
    const keys = this.keys;
    const ifc = this.iface;
    let s = hash5(w0, w1, w2, w3, iface) & this.mask;
    for (;;) {
      const c = this.slots[s]!;
      if (c < 0) return -1;
      const k = 4 * c;
      if (keys[k] === w0 && keys[k + 1] === w1 && keys[k + 2] === w2 && keys[k + 3] === w3 && ifc[c] === iface) return c;
      s = (s + 1) & this.mask;
    }
  }

  /** A new connection; it becomes the one find() returns for its key. */
  create(w0: number, w1: number, w2: number, w3: number, iface: number, bits: number): number {
    if (this.count === this.capacity) this.grow(this.count + 1);
    const c = this.count++;
    const k = 4 * c;
    this.keys[k] = w0;
    this.keys[k + 1] = w1;
    this.keys[k + 2] = w2;
    this.keys[k + 3] = w3;
    this.iface[c] = iface;
    this.counters.fill(0, 8 * c, 8 * c + 8);
    this.verdicts.fill(0, 12 * c, 12 * c + 12);
    for (let d = 0; d < 2; d++) {
      const j = 2 * c + d;
      this.dirInfo[j] = 0;
      this.records[j] = 0;
      this.awsFlags[j] = 0;
      this.flowDirs[j] = 0;
      this.trafficPath[j] = 0;
      this.pktRow[j] = -1;
    }
    this.bits[c] = bits;
    this.subnet[c] = -1;
    this.place(c);
    if (this.count * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    return c;
  }

  private place(c: number): void {
    const keys = this.keys;
    const k = 4 * c;
    const w0 = keys[k]!;
    const w1 = keys[k + 1]!;
    const w2 = keys[k + 2]!;
    const w3 = keys[k + 3]!;
    const ifc = this.iface[c]!;
    let s = hash5(w0, w1, w2, w3, ifc) & this.mask;
    for (;;) {
      const g = this.slots[s]!;
      if (g < 0) break;
      const q = 4 * g;
      if (keys[q] === w0 && keys[q + 1] === w1 && keys[q + 2] === w2 && keys[q + 3] === w3 && this.iface[g] === ifc) break;
      s = (s + 1) & this.mask;
    }
    this.slots[s] = c;
  }

  private rehash(size: number): void {
    this.slots = new Int32Array(size).fill(-1);
    this.mask = size - 1;
    for (let c = 0; c < this.count; c++) this.place(c);
  }

  private grow(atLeast: number): void {
    const c = Math.max(atLeast, Math.ceil(this.capacity * GROWTH));
    const g = <T extends Column>(a: T, per: number): T => grown(a, per * c);
    this.keys = g(this.keys, 4);
    this.iface = g(this.iface, 1);
    this.counters = g(this.counters, 8);
    this.dirInfo = g(this.dirInfo, 2);
    this.records = g(this.records, 2);
    this.verdicts = g(this.verdicts, 12);
    this.awsFlags = g(this.awsFlags, 2);
    this.flowDirs = g(this.flowDirs, 2);
    this.trafficPath = g(this.trafficPath, 2);
    this.bits = g(this.bits, 1);
    this.subnet = g(this.subnet, 1);
    this.firstFile = g(this.firstFile, 2);
    this.firstLine = g(this.firstLine, 2);
    this.pktRow = g(this.pktRow, 2);
    this.capacity = c;
  }

  /** A pkt-address row for (c, dir); returns its index. */
  addPktRow(c: number, dir: number, batch: FlowLogBatch, i: number, differs: number): number {
    if (4 * (this.pktCount + 1) > this.pktSrc.length) {
      const n = 2 * this.pktSrc.length;
      this.pktSrc = grown(this.pktSrc, n);
      this.pktDst = grown(this.pktDst, n);
      this.pktBits = grown(this.pktBits, n / 4);
    }
    const r = this.pktCount++;
    for (let w = 0; w < 4; w++) {
      this.pktSrc[4 * r + w] = batch.pktSrc[4 * i + w]!;
      this.pktDst[4 * r + w] = batch.pktDst[4 * i + w]!;
    }
    this.pktBits[r] = differs;
    this.pktRow[2 * c + dir] = r;
    return r;
  }

  /** Bytes held by the columns and indexes. */
  byteSize(): number {
    let n = this.slots.byteLength + this.addrs6.byteSize();
    for (const a of [this.keys, this.iface, this.counters, this.dirInfo, this.records, this.verdicts, this.awsFlags, this.flowDirs, this.trafficPath, this.bits, this.subnet, this.firstFile, this.firstLine, this.pktRow, this.pktSrc, this.pktDst, this.pktBits]) n += a.byteLength;
    return n;
  }
}

function hash5(w0: number, w1: number, w2: number, w3: number, iface: number): number {
  return hash4(w0, w1, w2, (w3 ^ Math.imul(iface + 1, 0x9e3779b1)) >>> 0);
}

/** Fold the batch's OK records into `table` (NODATA and SKIPDATA records are the reader's coverage gaps). */
export function foldRecords(batch: FlowLogBatch, table: FlowLogConnections): void {
  const gap = table.intervalSeconds;
  const n = batch.length;
  for (let i = 0; i < n; i++) {
    if (batch.logStatus[i] !== LogStatus.OK || batch.family[i] === 0) {
      table.skippedRecords++;
      continue;
    }
    const proto = batch.proto[i]!;
    const iface = batch.interfaceId[i]!;
    canonicalKey(batch.src, batch.dst, i, batch.family[i]!, batch.srcPort[i]!, batch.dstPort[i]!, proto, table.addrs6);
    const w0 = packetKey[0]!;
    const w1 = packetKey[1]!;
    const w2 = packetKey[2]!;
    const w3 = packetKey[3]!;
    const dir = packetKey[4]!;
    const start = batch.start[i]!;
    const end = batch.end[i]!;
    let c = table.find(w0, w1, w2, w3, iface);
    if (c >= 0) {
      // the connection's span over both directions
      const j = 8 * c;
      const had0 = table.records[2 * c]! > 0;
      const had1 = table.records[2 * c + 1]! > 0;
      const first = had0 && had1 ? Math.min(table.counters[j + 2]!, table.counters[j + 6]!) : had0 ? table.counters[j + 2]! : table.counters[j + 6]!;
      const last = had0 && had1 ? Math.max(table.counters[j + 3]!, table.counters[j + 7]!) : had0 ? table.counters[j + 3]! : table.counters[j + 7]!;
      if (start > last + gap || end < first - gap) c = -1;
    }
    if (c < 0) c = table.create(w0, w1, w2, w3, iface, dir ? FlowBit.FIRST_DIR_HI : 0);
    const packets = batch.packets[i]!;
    const bytes = batch.bytes[i]!;
    const cj = 8 * c + 4 * dir;
    const k = 2 * c + dir;
    const cnt = table.counters;
    if (table.records[k] === 0) {
      cnt[cj + 2] = start;
      cnt[cj + 3] = end;
      table.firstFile[k] = batch.fileIndex[i]!;
      table.firstLine[k] = batch.line[i]!;
    } else {
      if (start < cnt[cj + 2]!) cnt[cj + 2] = start;
      if (end > cnt[cj + 3]!) cnt[cj + 3] = end;
    }
    cnt[cj]! += packets;
    cnt[cj + 1]! += bytes;
    table.records[k]!++;
    const v = 12 * c + 6 * dir + (batch.action[i] === Action.REJECT ? 3 : 0);
    if (batch.action[i] !== Action.UNSET) {
      table.verdicts[v]!++;
      table.verdicts[v + 1]! += packets;
      table.verdicts[v + 2]! += bytes;
    }
    const has = batch.present[i]!;
    let bits = table.bits[c]!;
    if (has & Has.TCP_FLAGS) {
      bits |= ConnBit.TCP_FLAGS_KNOWN;
      const aws = batch.tcpFlags[i]!;
      table.awsFlags[k]! |= aws;
      const f = dirFlagsFromTcpFlags(aws);
      let info = table.dirInfo[k]! | f;
      if (f & DirFlag.BARE_SYN) {
        if (((info >>> 16) & 0xff) < 255) info += 1 << 16;
        if ((bits & FlowBit.SYN_SEEN) === 0) bits |= FlowBit.SYN_SEEN | (dir ? FlowBit.SYN_DIR_HI : 0);
      }
      if (f & DirFlag.SYN_ACK) {
        if (info >>> 24 < 255) info += 1 << 24;
        if ((bits & FlowBit.SYNACK_SEEN) === 0) bits |= FlowBit.SYNACK_SEEN | (dir ? FlowBit.SYNACK_DIR_HI : 0);
      }
      table.dirInfo[k] = info >>> 0;
    }
    const fd = batch.flowDirection[i]!;
    if (fd !== FlowDirection.UNSET) {
      bits |= ConnBit.FLOW_DIRECTION_KNOWN;
      table.flowDirs[k]! |= fd === FlowDirection.INGRESS ? DirSeen.INGRESS : DirSeen.EGRESS;
    }
    if (has & Has.TRAFFIC_PATH) table.trafficPath[k] = batch.trafficPath[i]!;
    if (table.subnet[c]! < 0 && batch.subnetId[i]! >= 0) table.subnet[c] = batch.subnetId[i]!;
    if (has & (Has.PKT_SRCADDR | Has.PKT_DSTADDR)) {
      const differs = (has & Has.PKT_SRCADDR && !sameAddr(batch.pktSrc, batch.src, i) ? PktDiffers.SRC : 0) | (has & Has.PKT_DSTADDR && !sameAddr(batch.pktDst, batch.dst, i) ? PktDiffers.DST : 0);
      if (differs) {
        const r = table.pktRow[k]!;
        if (r < 0) table.addPktRow(c, dir, batch, i, differs);
        else if (!sameRow(table.pktSrc, batch.pktSrc, r, i) || !sameRow(table.pktDst, batch.pktDst, r, i)) bits |= ConnBit.PKT_ADDRS_VARY;
      }
    }
    table.bits[c] = bits;
  }
}

function sameAddr(a: Uint32Array, b: Uint32Array, i: number): boolean {
  const o = 4 * i;
  return a[o] === b[o] && a[o + 1] === b[o + 1] && a[o + 2] === b[o + 2] && a[o + 3] === b[o + 3];
}

function sameRow(table: Uint32Array, batch: Uint32Array, r: number, i: number): boolean {
  const o = 4 * r;
  const q = 4 * i;
  return table[o] === batch[q] && table[o + 1] === batch[q + 1] && table[o + 2] === batch[q + 2] && table[o + 3] === batch[q + 3];
}

/** What a connection's records say about which side opened it (for the orientation code). */
export interface OrientationEvidence {
  /** Direction (0: from the key's lower endpoint, 1: from the higher) that sent a bare SYN first folded, -1: none. */
  synDir: number;
  /** Direction that sent a SYN-ACK, -1: none. */
  synAckDir: number;
  /** Per direction, DirSeen bits of flow-direction (ingress: the direction's packets arrived at the interface). */
  flowDirs: [number, number];
  /** Whether the records had tcp-flags at all (the v2 default format has none). */
  tcpFlagsKnown: boolean;
}

/** The evidence of connection c, into `out` (reused). */
export function orientationEvidence(t: FlowLogConnections, c: number, out: OrientationEvidence = { synDir: -1, synAckDir: -1, flowDirs: [0, 0], tcpFlagsKnown: false }): OrientationEvidence {
  const bits = t.bits[c]!;
  out.synDir = bits & FlowBit.SYN_SEEN ? (bits & FlowBit.SYN_DIR_HI ? 1 : 0) : -1;
  out.synAckDir = bits & FlowBit.SYNACK_SEEN ? (bits & FlowBit.SYNACK_DIR_HI ? 1 : 0) : -1;
  out.flowDirs[0] = t.flowDirs[2 * c]!;
  out.flowDirs[1] = t.flowDirs[2 * c + 1]!;
  out.tcpFlagsKnown = (bits & ConnBit.TCP_FLAGS_KNOWN) !== 0;
  return out;
}
