/**
 * The flow table: one row per connection in typed-array columns, found by an open-addressing hash over the
 * canonical key (family, protocol, lower endpoint, higher endpoint), so A->B and B->A share a row. Counters are
 * kept per direction: index 2*flow + dir, dir 0 = from the key's lower endpoint to the higher, 1 = the reverse.
 *
 * Used twice: a worker observes the packet batches of its chunk; the main thread merges the workers' segments
 * (src/pass/merge.ts) into the table of the whole capture. Both only call the methods here.
 */
import { PacketBatch, Frag, AppFlag, Layer, hasPorts } from '../decode/batch.js';
import { grown, type Column } from '../typed.js';
import { isQuery, isRequest } from '../wire/icmp.js';
import { hash4, probeKey, KeyIndex } from './keyindex.js';

/** Per-direction flag bits: the TCP flags (low 9 bits) OR-ed over the direction's packets, plus derived facts. */
export const DirFlag = {
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
  ECE: 0x40,
  CWR: 0x80,
  AE: 0x100,
  /** A packet with transport payload. */
  DATA: 0x200,
  /** SYN without ACK. */
  BARE_SYN: 0x400,
  SYN_ACK: 0x800,
  DNS_QUERY: 0x1000,
  DNS_RESPONSE: 0x2000,
  ICMP_REQUEST: 0x4000,
  ICMP_REPLY: 0x8000,
} as const;

/** Per-flow bits. */
export const FlowBit = {
  /** The first segment of its key in a chunk: it may continue a connection of an earlier chunk. */
  HEAD: 0x01,
  /** Split at a bare SYN the chunk alone cannot judge (the state before it is not all here); merge.ts decides. */
  UNDECIDED: 0x02,
  /** The segment's first packet is a bare SYN. */
  STARTS_BARE_SYN: 0x04,
  /** The first packet went from the higher endpoint to the lower. */
  FIRST_DIR_HI: 0x10,
  SYN_SEEN: 0x20,
  SYN_DIR_HI: 0x40,
  SYNACK_SEEN: 0x80,
  SYNACK_DIR_HI: 0x100,
  /** An ICMP error or other non-echo ICMP message, keyed by type and code. */
  ICMP_MESSAGE: 0x200,
  /** synSeq holds the client's ISN: from its SYN, or from a SYN-ACK (acknowledgment number - 1). */
  ISN_KNOWN: 0x400,
} as const;

/** Key word 3: protocol in the low byte, these bits above it. */
export const KeyBit = { IPV6: 0x10000, ICMP_MESSAGE: 0x20000 } as const;

const GROWTH = 1.5;

/** Mirror sessions a flow remembers (FlowTable.sessions); more are only flagged (SESSIONS_MORE in sessionCount). */
export const SESSIONS_PER_FLOW = 4;
export const SESSIONS_MORE = 0x80;

/** Slots of the per-direction counters: counters[8 * flow + 4 * dir + slot]. */
/** Offsets of a direction's counters in FlowTable.counters (8 per flow: 4 per direction). */
export const PACKETS = 0;
export const BYTES = 1;
export const FIRST_TS = 2;
export const LAST_TS = 3;

/**
 * Connections of one chunk, or of the whole capture after merging. A flow's per-direction counters are interleaved
 * in one Float64Array (64 bytes per flow, both directions in one cache line) and its flags and SYN counts in one
 * Uint32Array. Measured against one column per counter on the 2 M-packet generated capture: no difference
 * (observing 2 M packets takes 230-250 ms either way; the hash probe's cache misses dominate), but partials and the
 * merge carry two arrays instead of seven.
 */
export class FlowTable {
  count = 0;
  capacity: number;
  /**
   * True when the table sees every packet of the capture from its first (a capture's first chunk): a bare SYN on a
   * known 5-tuple is decided at once instead of being split off for the merge (no UNDECIDED rows).
   */
  wholeHistory = false;
  /** Canonical keys, 4 words per flow: lower address (IPv4) or address id (IPv6), higher address, ports, kind. */
  keys: Uint32Array;
  /** Per direction: packets, bytes, first and last timestamp (see packetsOf() and friends). */
  counters: Float64Array;
  /** Per direction (2*flow + dir): DirFlag bits (low 16), bare SYNs (bits 16-23) and SYN-ACKs (24-31) sent, saturating at 255. */
  dirInfo: Uint32Array;
  /** Per flow. */
  bits: Uint16Array;
  /** The client's ISN (see FlowBit.ISN_KNOWN); the first bare SYN's IP TTL, window, option layout and (mss << 16 | wscale << 8 | option count). */
  synSeq: Uint32Array;
  synTtl: Uint8Array;
  synWindow: Uint16Array;
  synOptLayout: Uint32Array;
  synOptInfo: Uint32Array;
  /** ICMP errors quoting the connection (saturating) and the last one's type << 8 | code. */
  icmpErrors: Uint16Array;
  icmpErrorLast: Uint16Array;
  /**
   * The mirror sessions that delivered the flow's packets (not later fragments), as the batch's `sessionKey` (a hash
   * of every tunnel level's outer source and VNI / key / GWLB endpoint, the same in every chunk): SESSIONS_PER_FLOW
   * slots per flow, in the order first seen. `sessionCount[f]`: slots used, plus SESSIONS_MORE when more sessions
   * delivered it. Null until the first packet that came through a tunnel: a capture without tunnels pays nothing.
   */
  sessions: Uint32Array | null = null;
  sessionCount: Uint8Array | null = null;

  private slots: Int32Array;
  private mask: number;
  /** IPv6 addresses interned to ids (key words 0 and 1 of IPv6 flows). */
  readonly addrs6: KeyIndex;

  constructor(initialCapacity = 4096, addrs6?: KeyIndex) {
    this.capacity = Math.max(16, initialCapacity);
    const c = this.capacity;
    this.keys = new Uint32Array(4 * c);
    this.counters = new Float64Array(8 * c);
    this.dirInfo = new Uint32Array(2 * c);
    this.bits = new Uint16Array(c);
    this.synSeq = new Uint32Array(c);
    this.synTtl = new Uint8Array(c);
    this.synWindow = new Uint16Array(c);
    this.synOptLayout = new Uint32Array(c);
    this.synOptInfo = new Uint32Array(c);
    this.icmpErrors = new Uint16Array(c);
    this.icmpErrorLast = new Uint16Array(c);
    let slots = 32;
    while (slots < 2 * c) slots <<= 1;
    this.slots = new Int32Array(slots).fill(-1);
    this.mask = slots - 1;
    this.addrs6 = addrs6 ?? new KeyIndex(64);
  }

  packetsOf(f: number, dir: number): number {
    return this.counters[8 * f + 4 * dir + PACKETS]!;
  }
  bytesOf(f: number, dir: number): number {
    return this.counters[8 * f + 4 * dir + BYTES]!;
  }
  firstTsOf(f: number, dir: number): number {
    return this.counters[8 * f + 4 * dir + FIRST_TS]!;
  }
  lastTsOf(f: number, dir: number): number {
    return this.counters[8 * f + 4 * dir + LAST_TS]!;
  }
  /** DirFlag bits of what the endpoint `dir` sent. */
  flagsOf(f: number, dir: number): number {
    return this.dirInfo[2 * f + dir]! & 0xffff;
  }
  /** Bare SYNs sent in direction dir. */
  synsOf(f: number, dir: number): number {
    return (this.dirInfo[2 * f + dir]! >>> 16) & 0xff;
  }
  synAcksOf(f: number, dir: number): number {
    return this.dirInfo[2 * f + dir]! >>> 24;
  }
  /** FIN or RST seen in either direction. */
  closed(f: number): boolean {
    return ((this.dirInfo[2 * f]! | this.dirInfo[2 * f + 1]!) & (DirFlag.FIN | DirFlag.RST)) !== 0;
  }

  /**
   * The latest connection with the key in words key[at..at+3], or -1. The key comes in an array: as arguments of a
   * call V8 does not inline (the per-packet loop's budget runs out), key words above 2^30 would be boxed.
   */
  find(key: Uint32Array, at: number): number {
    return probeKey(this.keys, this.slots, this.mask, key, at);
  }

  /**
   * A new connection with the key in words key[at..at+3]; it becomes the one find() returns. The key comes in an
   * array, not as arguments: its words reach 2^32, and a call V8 does not inline would box each one above 2^30.
   */
  create(key: Uint32Array, at: number, bits: number): number {
    if (this.count === this.capacity) this.grow(this.count + 1);
    const f = this.count++;
    const k = 4 * f;
    const keys = this.keys;
    keys[k] = key[at]!;
    keys[k + 1] = key[at + 1]!;
    keys[k + 2] = key[at + 2]!;
    keys[k + 3] = key[at + 3]!;
    this.bits[f] = bits;
    this.icmpErrors[f] = 0;
    this.icmpErrorLast[f] = 0;
    const c = this.counters;
    const j = 8 * f;
    c[j] = 0;
    c[j + 1] = 0;
    c[j + 2] = 0;
    c[j + 3] = 0;
    c[j + 4] = 0;
    c[j + 5] = 0;
    c[j + 6] = 0;
    c[j + 7] = 0;
    this.dirInfo[2 * f] = 0;
    this.dirInfo[2 * f + 1] = 0;
    if (this.sessionCount !== null) this.sessionCount[f] = 0;
    this.place(f);
    if (this.count * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    return f;
  }

  /** Allocate the session columns (empty) if no flow has a session yet: a reducer's part of a capture that has some. */
  ensureSessions(): void {
    if (this.sessions !== null) return;
    this.sessions = new Uint32Array(SESSIONS_PER_FLOW * this.capacity);
    this.sessionCount = new Uint8Array(this.capacity);
  }

  /** Flow f's packets came through the mirror session keys[at] (a batch's sessionKey column, or another of session keys). */
  addSession(f: number, keys: Uint32Array, at: number): void {
    // The session key comes in its column: as an argument above 2^30 it would be a heap number per packet.
    const key = keys[at]!;
    let s = this.sessions;
    let n = this.sessionCount;
    if (s === null || n === null) {
      s = this.sessions = new Uint32Array(SESSIONS_PER_FLOW * this.capacity);
      n = this.sessionCount = new Uint8Array(this.capacity);
    }
    const c = n[f]!;
    const used = c & ~SESSIONS_MORE;
    const k = SESSIONS_PER_FLOW * f;
    for (let j = k; j < k + used; j++) if (s[j] === key) return;
    if (used < SESSIONS_PER_FLOW) {
      s[k + used] = key;
      n[f] = c + 1;
    } else n[f] = c | SESSIONS_MORE;
  }

  /** Fold flow `from`'s sessions of `cols` into flow f (merging in file order keeps first-seen order). */
  foldSessions(f: number, cols: { sessions: Uint32Array | null; sessionCount: Uint8Array | null }, from: number): void {
    const s = cols.sessions;
    if (s === null) return;
    const c = cols.sessionCount![from]!;
    const k = SESSIONS_PER_FLOW * from;
    for (let j = k; j < k + (c & ~SESSIONS_MORE); j++) this.addSession(f, s, j);
    if (c & SESSIONS_MORE) this.sessionCount![f]! |= SESSIONS_MORE;
  }

  /** Point the key's slot at flow f (replacing an older connection with the same key). */
  private place(f: number): void {
    const keys = this.keys;
    const slots = this.slots;
    const mask = this.mask;
    const k = 4 * f;
    const w0 = keys[k]!;
    const w1 = keys[k + 1]!;
    const w2 = keys[k + 2]!;
    const w3 = keys[k + 3]!;
    let s = hash4(w0, w1, w2, w3) & mask;
    for (;;) {
      const g = slots[s]!;
      if (g < 0) {
        slots[s] = f;
        return;
      }
      const q = 4 * g;
      if (keys[q] === w0 && keys[q + 1] === w1 && keys[q + 2] === w2 && keys[q + 3] === w3) {
        slots[s] = f;
        return;
      }
      s = (s + 1) & mask;
    }
  }

  private rehash(slots: number): void {
    this.slots = new Int32Array(slots).fill(-1);
    this.mask = slots - 1;
    for (let f = 0; f < this.count; f++) this.place(f);
  }

  /**
   * Take a chunk's columns as this (empty) table's own, without copying: rows are then appended in place with
   * keepRow(), in order, each at or before its own position (a merge that folds some rows into earlier ones).
   */
  adopt(cols: { count: number; keys: Uint32Array; counters: Float64Array; dirInfo: Uint32Array; bits: Uint16Array; synSeq: Uint32Array; synTtl: Uint8Array; synWindow: Uint16Array; synOptLayout: Uint32Array; synOptInfo: Uint32Array; sessions: Uint32Array | null; sessionCount: Uint8Array | null }): void {
    if (this.count !== 0) throw new Error('adopt() needs an empty table');
    const c = Math.max(16, cols.count);
    if (cols.count < 16) {
      // Too small to matter: copy into the table's own columns.
      this.keys.set(cols.keys);
      this.counters.set(cols.counters);
      this.dirInfo.set(cols.dirInfo);
      this.bits.set(cols.bits);
      this.synSeq.set(cols.synSeq);
      this.synTtl.set(cols.synTtl);
      this.synWindow.set(cols.synWindow);
      this.synOptLayout.set(cols.synOptLayout);
      this.synOptInfo.set(cols.synOptInfo);
      if (cols.sessions !== null) {
        this.sessions = new Uint32Array(SESSIONS_PER_FLOW * this.capacity);
        this.sessionCount = new Uint8Array(this.capacity);
        this.sessions.set(cols.sessions);
        this.sessionCount.set(cols.sessionCount!);
      }
      return;
    }
    this.keys = cols.keys;
    this.counters = cols.counters;
    this.dirInfo = cols.dirInfo;
    this.bits = cols.bits;
    this.synSeq = cols.synSeq;
    this.synTtl = cols.synTtl;
    this.synWindow = cols.synWindow;
    this.synOptLayout = cols.synOptLayout;
    this.synOptInfo = cols.synOptInfo;
    this.sessions = cols.sessions;
    this.sessionCount = cols.sessionCount;
    this.icmpErrors = new Uint16Array(c);
    this.icmpErrorLast = new Uint16Array(c);
    this.capacity = c;
    let slots = 32;
    while (slots < 2 * c) slots <<= 1;
    this.slots = new Int32Array(slots).fill(-1);
    this.mask = slots - 1;
  }

  /** After adopt(): make adopted row `from` (>= count) the next row, with per-flow `bits`; returns its index. */
  keepRow(from: number, bits: number): number {
    const f = this.count++;
    if (from !== f) {
      this.keys.copyWithin(4 * f, 4 * from, 4 * from + 4);
      this.counters.copyWithin(8 * f, 8 * from, 8 * from + 8);
      this.dirInfo.copyWithin(2 * f, 2 * from, 2 * from + 2);
      this.synSeq[f] = this.synSeq[from]!;
      this.synTtl[f] = this.synTtl[from]!;
      this.synWindow[f] = this.synWindow[from]!;
      this.synOptLayout[f] = this.synOptLayout[from]!;
      this.synOptInfo[f] = this.synOptInfo[from]!;
      if (this.sessions !== null) {
        this.sessions.copyWithin(SESSIONS_PER_FLOW * f, SESSIONS_PER_FLOW * from, SESSIONS_PER_FLOW * from + SESSIONS_PER_FLOW);
        this.sessionCount![f] = this.sessionCount![from]!;
      }
    }
    this.bits[f] = bits;
    this.icmpErrors[f] = 0;
    this.icmpErrorLast[f] = 0;
    this.place(f);
    return f;
  }

  /** Make room for `flows` rows at once (a merge knows how many a partial brings). */
  reserve(flows: number): void {
    if (flows > this.capacity) this.grow(flows);
    let slots = this.slots.length;
    while (slots < 2 * flows) slots <<= 1;
    if (slots !== this.slots.length) this.rehash(slots);
  }

  private grow(atLeast: number): void {
    const c = Math.max(atLeast, Math.ceil(this.capacity * GROWTH));
    const g = <T extends Column>(a: T, per: number): T => grown(a, per * c);
    this.keys = g(this.keys, 4);
    this.counters = g(this.counters, 8);
    this.dirInfo = g(this.dirInfo, 2);
    this.bits = g(this.bits, 1);
    this.synSeq = g(this.synSeq, 1);
    this.synTtl = g(this.synTtl, 1);
    this.synWindow = g(this.synWindow, 1);
    this.synOptLayout = g(this.synOptLayout, 1);
    this.synOptInfo = g(this.synOptInfo, 1);
    this.icmpErrors = g(this.icmpErrors, 1);
    this.icmpErrorLast = g(this.icmpErrorLast, 1);
    if (this.sessions !== null) {
      this.sessions = g(this.sessions, SESSIONS_PER_FLOW);
      this.sessionCount = g(this.sessionCount!, 1);
    }
    this.capacity = c;
  }

  /** Bytes held by the table's columns, hash slots and address index. */
  byteSize(): number {
    let n = this.slots.byteLength + this.addrs6.byteSize();
    for (const a of [this.keys, this.counters, this.dirInfo, this.bits, this.synSeq, this.synTtl, this.synWindow, this.synOptLayout, this.synOptInfo, this.icmpErrors, this.icmpErrorLast, this.sessions, this.sessionCount]) n += a ? a.byteLength : 0;
    return n;
  }

  /**
   * Add one packet's facts to direction `dir` of flow f; its timestamp is times[at] (a batch's ts column): a double
   * passed as an argument to a call V8 does not inline would be a heap number per packet.
   */
  count1(f: number, dir: number, times: Float64Array, at: number, wireLen: number, flags: number): void {
    const ts = times[at]!;
    const c = this.counters;
    const j = 8 * f + 4 * dir;
    const pk = c[j]!;
    if (pk === 0) {
      c[j + FIRST_TS] = ts;
      c[j + LAST_TS] = ts;
    } else {
      if (ts < c[j + FIRST_TS]!) c[j + FIRST_TS] = ts;
      if (ts > c[j + LAST_TS]!) c[j + LAST_TS] = ts;
    }
    c[j] = pk + 1;
    c[j + BYTES]! += wireLen;
    this.dirInfo[2 * f + dir]! |= flags;
  }

  /** Fold a segment's direction counters into flow f (merging partials in file order). */
  addDirection(f: number, dir: number, packets: number, bytes: number, firstTs: number, lastTs: number, info: number): void {
    if (packets === 0) return;
    const c = this.counters;
    const j = 8 * f + 4 * dir;
    const had = c[j]!;
    c[j] = had + packets;
    c[j + BYTES]! += bytes;
    if (had === 0 || firstTs < c[j + FIRST_TS]!) c[j + FIRST_TS] = firstTs;
    if (had === 0 || lastTs > c[j + LAST_TS]!) c[j + LAST_TS] = lastTs;
    const k = 2 * f + dir;
    const cur = this.dirInfo[k]!;
    const syns = Math.min(255, ((cur >>> 16) & 0xff) + ((info >>> 16) & 0xff));
    const acks = Math.min(255, (cur >>> 24) + (info >>> 24));
    this.dirInfo[k] = (((cur | info) & 0xffff) | (syns << 16) | (acks << 24)) >>> 0;
  }

  /** Count a bare SYN (or SYN-ACK) sent in direction dir, saturating at 255. */
  countSyn(f: number, dir: number, synAck: boolean): void {
    const k = 2 * f + dir;
    const cur = this.dirInfo[k]!;
    const shift = synAck ? 24 : 16;
    if (((cur >>> shift) & 0xff) < 255) this.dirInfo[k] = (cur + (1 << shift)) >>> 0;
  }

  /** Shrink the columns to the rows in use (after the last merge). */
  trim(): void {
    if (this.capacity > this.count) {
      const c = Math.max(16, this.count);
      const cut = <T extends Uint8Array | Uint16Array | Uint32Array | Int32Array | Float64Array>(a: T, per: number): T => a.slice(0, per * c) as T;
      this.keys = cut(this.keys, 4);
      this.counters = cut(this.counters, 8);
      this.dirInfo = cut(this.dirInfo, 2);
      this.bits = cut(this.bits, 1);
      this.synSeq = cut(this.synSeq, 1);
      this.synTtl = cut(this.synTtl, 1);
      this.synWindow = cut(this.synWindow, 1);
      this.synOptLayout = cut(this.synOptLayout, 1);
      this.synOptInfo = cut(this.synOptInfo, 1);
      this.icmpErrors = cut(this.icmpErrors, 1);
      this.icmpErrorLast = cut(this.icmpErrorLast, 1);
      if (this.sessions !== null) {
        this.sessions = cut(this.sessions, SESSIONS_PER_FLOW);
        this.sessionCount = cut(this.sessionCount!, 1);
      }
      this.capacity = c;
    }
  }
}

/**
 * Reused scratch: the canonical key of the last packet keyed (words 0-3) and its direction (4). A typed array, not an
 * object: key words reach 2^32, past V8's small integers, and an object field would box them (a heap number per
 * packet).
 */
export const packetKey = new Uint32Array(5);

/**
 * Put into packetKey the canonical key of the packet whose addresses are row i of `src`/`dst` (4 words per row),
 * with ports (sp, dp) and key word 3 `kind`. IPv6 addresses are interned into `addrs6`; the lower endpoint is the
 * smaller (address, port); dir is 0 when the source is the lower endpoint.
 */
export function canonicalKey(src: Uint32Array, dst: Uint32Array, i: number, family: number, sp: number, dp: number, kind: number, addrs6: KeyIndex): void {
  const base = 4 * i;
  let srcLower: boolean;
  let a: number;
  let b: number;
  if (family === 4) {
    a = src[base]!;
    b = dst[base]!;
    srcLower = a < b || (a === b && sp <= dp);
  } else {
    let c = 0;
    for (let w = 0; w < 4 && c === 0; w++) {
      const x = src[base + w]!;
      const y = dst[base + w]!;
      c = x < y ? -1 : x > y ? 1 : 0;
    }
    srcLower = c < 0 || (c === 0 && sp <= dp);
    a = addrs6.intern(src[base]!, src[base + 1]!, src[base + 2]!, src[base + 3]!);
    b = addrs6.intern(dst[base]!, dst[base + 1]!, dst[base + 2]!, dst[base + 3]!);
    kind |= KeyBit.IPV6;
  }
  // ICMP messages other than echo are keyed by (type, code), which belong to the message, not to an endpoint.
  const fixed = (kind & KeyBit.ICMP_MESSAGE) !== 0;
  if (srcLower) {
    packetKey[0] = a;
    packetKey[1] = b;
    packetKey[2] = (sp << 16) | dp;
    packetKey[4] = 0;
  } else {
    packetKey[0] = b;
    packetKey[1] = a;
    packetKey[2] = fixed ? (sp << 16) | dp : (dp << 16) | sp;
    packetKey[4] = 1;
  }
  packetKey[3] = kind;
}

/** True for ICMP query messages (echo, timestamp, information, address mask), whose identifier pairs the two directions. */
export const isEchoLike = isQuery;

/** Fragment and ICMP-error bookkeeping a chunk hands to the merge. */
export class ChunkExtras {
  /** First fragments: key (src, dst, proto|family, id) -> 2*flow + dir of the latest one with the key. */
  readonly fragHeads = new KeyIndex(16);
  /** Per fragment head id: 2*flow + dir of the chunk's first fragment with that key (for fragments sent before it). */
  fragHeadFirst: Int32Array = new Int32Array(16);
  /** Later fragments whose first fragment was not (yet) seen: key words, then wire length and timestamp. */
  orphanKeys: Uint32Array = new Uint32Array(64);
  orphanLen: Float64Array = new Float64Array(32);
  orphanTs: Float64Array = new Float64Array(32);
  orphans = 0;
  /**
   * ICMP errors: canonical key of the quoted connection, type << 8 | code, and the chunk's connection with that key
   * when the error arrived (-1: none yet in this chunk, so one from an earlier chunk, found at the merge).
   */
  icmpKeys: Uint32Array = new Uint32Array(64);
  icmpTypeCode: Uint16Array = new Uint16Array(16);
  icmpFlow: Int32Array = new Int32Array(16);
  icmps = 0;

  firstHead(h: number, value: number): void {
    if (h >= this.fragHeadFirst.length) this.fragHeadFirst = grown(this.fragHeadFirst, Math.max(h + 1, 2 * this.fragHeadFirst.length));
    this.fragHeadFirst[h] = value;
  }

  addOrphan(w0: number, w1: number, w2: number, w3: number, len: number, ts: number): void {
    if (this.orphans * 4 >= this.orphanKeys.length) {
      this.orphanKeys = grown(this.orphanKeys, this.orphanKeys.length * 2);
      this.orphanLen = grown(this.orphanLen, this.orphanLen.length * 2);
      this.orphanTs = grown(this.orphanTs, this.orphanTs.length * 2);
    }
    const o = this.orphans++;
    const k = this.orphanKeys;
    k[4 * o] = w0;
    k[4 * o + 1] = w1;
    k[4 * o + 2] = w2;
    k[4 * o + 3] = w3;
    this.orphanLen[o] = len;
    this.orphanTs[o] = ts;
  }

  addIcmp(w0: number, w1: number, w2: number, w3: number, typeCode: number, flow: number): void {
    if (this.icmps * 4 >= this.icmpKeys.length) {
      this.icmpKeys = grown(this.icmpKeys, this.icmpKeys.length * 2);
      this.icmpTypeCode = grown(this.icmpTypeCode, this.icmpTypeCode.length * 2);
      this.icmpFlow = grown(this.icmpFlow, this.icmpFlow.length * 2);
    }
    const o = this.icmps++;
    const k = this.icmpKeys;
    k[4 * o] = w0;
    k[4 * o + 1] = w1;
    k[4 * o + 2] = w2;
    k[4 * o + 3] = w3;
    this.icmpTypeCode[o] = typeCode;
    this.icmpFlow[o] = flow;
  }
}

/** Fragment key of batch packet i (IPv6 addresses as ids). */
function fragKey(batch: PacketBatch, i: number, addrs6: KeyIndex, out: FragKey): void {
  const base = 4 * i;
  if (batch.family[i] === 4) {
    out.w0 = batch.src[base]!;
    out.w1 = batch.dst[base]!;
    out.w2 = batch.proto[i]!;
  } else {
    out.w0 = addrs6.intern(batch.src[base]!, batch.src[base + 1]!, batch.src[base + 2]!, batch.src[base + 3]!);
    out.w1 = addrs6.intern(batch.dst[base]!, batch.dst[base + 1]!, batch.dst[base + 2]!, batch.dst[base + 3]!);
    out.w2 = batch.proto[i]! | KeyBit.IPV6;
  }
  out.w3 = batch.fragId[i]!;
}
interface FragKey {
  w0: number;
  w1: number;
  w2: number;
  w3: number;
}
const fragScratch: FragKey = { w0: 0, w1: 0, w2: 0, w3: 0 };

/**
 * Observe a batch: find or create each packet's connection, count it, and write batch.flowIndex / flowDir.
 * A bare SYN on a connection that saw FIN or RST starts a new connection (RFC 9293 TIME-WAIT reuse).
 */
export function observeBatch(table: FlowTable, extras: ChunkExtras, batch: PacketBatch): void {
  const n = batch.length;
  const addrs6 = table.addrs6;
  for (let i = 0; i < n; i++) {
    const fam = batch.family[i]!;
    // Set for every row: the batch is reused, and a first fragment skipped below must not keep a stale head.
    batch.fragHead[i] = -1;
    if (fam === 0) {
      batch.flowIndex[i] = -1;
      continue;
    }
    const wireLen = batch.wireLen[i]!;
    if (batch.frag[i] === Frag.LATER) {
      fragKey(batch, i, addrs6, fragScratch);
      const h = extras.fragHeads.find(fragScratch.w0, fragScratch.w1, fragScratch.w2, fragScratch.w3);
      batch.fragHead[i] = h;
      if (h >= 0) {
        const v = extras.fragHeads.values[h]!;
        table.count1(v >> 1, v & 1, batch.ts, i, wireLen, 0);
        batch.flowIndex[i] = v >> 1;
        batch.flowDir[i] = v & 1;
      } else {
        extras.addOrphan(fragScratch.w0, fragScratch.w1, fragScratch.w2, fragScratch.w3, wireLen, batch.ts[i]!);
        batch.flowIndex[i] = -1;
      }
      continue;
    }
    const proto = batch.proto[i]!;
    // A TCP/UDP/ICMP packet whose header was cut off or malformed has no usable ports: no connection to key.
    if (batch.layer[i] !== Layer.TRANSPORT && (hasPorts(proto) || proto === 1 || proto === 58)) {
      batch.flowIndex[i] = -1;
      continue;
    }
    let sp = batch.sport[i]!;
    let dp = batch.dport[i]!;
    let kind = proto;
    let extra = 0;
    const flags = batch.tcpFlags[i]!;
    if (proto === 6) {
      if ((flags & 0x12) === 0x02) extra = DirFlag.BARE_SYN;
      else if ((flags & 0x12) === 0x12) extra = DirFlag.SYN_ACK;
    } else if (proto === 1 || proto === 58) {
      const t = batch.icmpType[i]!;
      if (isEchoLike(proto, t)) {
        extra = isRequest(proto, t) ? DirFlag.ICMP_REQUEST : DirFlag.ICMP_REPLY;
      } else {
        kind |= KeyBit.ICMP_MESSAGE;
        sp = t;
        dp = batch.icmpCode[i]!;
        if (batch.quoteProto[i] !== 0) recordIcmpError(table, batch, i, addrs6, extras);
      }
    }
    const app = batch.appFlags[i]!;
    if (app === AppFlag.DNS_QUERY) extra |= DirFlag.DNS_QUERY;
    else if (app === AppFlag.DNS_RESPONSE) extra |= DirFlag.DNS_RESPONSE;
    if (batch.payloadLen[i]! > 0) extra |= DirFlag.DATA;

    canonicalKey(batch.src, batch.dst, i, fam, sp, dp, kind, addrs6);
    const dir = packetKey[4]!;
    let f = table.find(packetKey, 0);
    if (f < 0) {
      f = table.create(packetKey, 0, FlowBit.HEAD | (extra & DirFlag.BARE_SYN ? FlowBit.STARTS_BARE_SYN : 0) | (dir ? FlowBit.FIRST_DIR_HI : 0) | (kind & KeyBit.ICMP_MESSAGE ? FlowBit.ICMP_MESSAGE : 0));
    } else if (extra & DirFlag.BARE_SYN) {
      // A bare SYN after FIN or RST with a new ISN starts a new connection (RFC 9293 3.6.1, TIME-WAIT reuse);
      // a SYN repeating the connection's ISN is a retransmission. Both depend on the connection's state and ISN,
      // which may come from before this chunk (even a segment's own ISN may not be its connection's), so the
      // segment is split off undecided and merge.ts decides with the whole history; a retransmitted SYN costs one
      // segment row. A table that holds the whole history (the capture's first chunk) decides at once, by the
      // same rule.
      if (!table.wholeHistory) f = table.create(packetKey, 0, FlowBit.UNDECIDED | FlowBit.STARTS_BARE_SYN | (dir ? FlowBit.FIRST_DIR_HI : 0));
      else if (startsNewConnection(table, f, batch.tcpSeq[i]!)) f = table.create(packetKey, 0, FlowBit.STARTS_BARE_SYN | (dir ? FlowBit.FIRST_DIR_HI : 0));
    }
    table.count1(f, dir, batch.ts, i, wireLen, flags | extra);
    if (batch.tunnelDepth[i] !== 0) table.addSession(f, batch.sessionKey, i);
    if (extra & (DirFlag.BARE_SYN | DirFlag.SYN_ACK)) noteHandshake(table, f, dir, extra, batch, i);
    if (batch.frag[i] === Frag.FIRST) {
      fragKey(batch, i, addrs6, fragScratch);
      const heads = extras.fragHeads;
      const known = heads.count;
      const h = heads.intern(fragScratch.w0, fragScratch.w1, fragScratch.w2, fragScratch.w3);
      heads.values[h] = 2 * f + dir;
      if (heads.count > known) extras.firstHead(h, 2 * f + dir);
      batch.fragHead[i] = h;
    }
    batch.flowIndex[i] = f;
    batch.flowDir[i] = dir;
  }
}

/** Whether a bare SYN with sequence number `seq` starts a new connection after connection f. */
export function startsNewConnection(table: FlowTable, f: number, seq: number): boolean {
  return table.closed(f) && !(table.bits[f]! & FlowBit.ISN_KNOWN && table.synSeq[f] === seq);
}

function noteHandshake(table: FlowTable, f: number, dir: number, extra: number, batch: PacketBatch, i: number): void {
  let bits = table.bits[f]!;
  if (extra & DirFlag.BARE_SYN) {
    table.countSyn(f, dir, false);
    if ((bits & FlowBit.ISN_KNOWN) === 0) {
      bits |= FlowBit.ISN_KNOWN;
      table.synSeq[f] = batch.tcpSeq[i]!;
    }
    if ((bits & FlowBit.SYN_SEEN) === 0) {
      bits |= FlowBit.SYN_SEEN | (dir ? FlowBit.SYN_DIR_HI : 0);
      table.synTtl[f] = batch.ttl[i]!;
      table.synWindow[f] = batch.tcpWindow[i]!;
      table.synOptLayout[f] = batch.tcpOptLayout[i]!;
      table.synOptInfo[f] = ((batch.tcpMss[i]! << 16) | (batch.tcpWscale[i]! << 8) | batch.tcpOptCount[i]!) >>> 0;
    }
  } else {
    table.countSyn(f, dir, true);
    if ((bits & FlowBit.ISN_KNOWN) === 0) {
      bits |= FlowBit.ISN_KNOWN;
      table.synSeq[f] = (batch.tcpAck[i]! - 1) >>> 0;
    }
    if ((bits & FlowBit.SYNACK_SEEN) === 0) bits |= FlowBit.SYNACK_SEEN | (dir ? FlowBit.SYNACK_DIR_HI : 0);
  }
  table.bits[f] = bits;
}

/** Key the connection an ICMP error quotes (as its own packets are keyed) and queue the attribution. */
function recordIcmpError(table: FlowTable, batch: PacketBatch, i: number, addrs6: KeyIndex, extras: ChunkExtras): void {
  canonicalKey(batch.quoteSrc, batch.quoteDst, i, batch.family[i]!, batch.quoteSport[i]!, batch.quoteDport[i]!, batch.quoteProto[i]!, addrs6);
  const k = packetKey;
  // The connection the error is about is the one with the quoted key at this moment, not a later reuse of it.
  extras.addIcmp(k[0]!, k[1]!, k[2]!, k[3]!, (batch.icmpType[i]! << 8) | batch.icmpCode[i]!, table.find(k, 0));
}
