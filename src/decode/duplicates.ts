/**
 * The same packet mirrored twice: when both ends of a connection have a mirror session (or two sessions see one
 * ENI), each packet arrives once per session. A DuplicateFilter recognises the copies. Its memory is a fixed hash
 * table over typed arrays (buckets of WAYS entries), so judging a row allocates nothing.
 *
 * The rule, which depends only on the records before a row (in file order) whose timestamps lie within `window` of
 * it: a row from session s is the k-th record with its fingerprint from s in that window; it is a duplicate when
 * some other session delivered the fingerprint at least k times there. So two copies of one packet count once, and a
 * genuine repeat (a retransmission, repeated duplicate ACKs with one IPv6 flow label) seen by both sessions counts
 * once per repeat. The fingerprint: family, protocol, addresses, ports (ICMP: identifier, type and code), IP
 * identification / IPv6 flow label, transport payload length, and for TCP sequence, acknowledgment and flags; not the
 * TTL or the MACs, which differ between the two capture points. The session is the batch's `sessionKey` (every
 * tunnel level's outer source, VNI / key, GWLB endpoint). Only mirrored rows take part: a row that came through no
 * encapsulation (tunnelDepth 0), or is not IP, is never a duplicate and is not remembered, so a capture without
 * tunnels costs the filter nothing.
 *
 * Chunked runs: `warm()` records the rows of the window before a chunk without judging them. The warm-up of a chunk
 * whose first record starts at offset S with timestamp t is one rule, whoever computes it (RecordRing.warmStart):
 * the records before S, taken back from S while each has a timestamp >= t - window, starts at or after
 * S - MAX_WARM_BYTES, and there are at most MAX_WARM_RECORDS of them. A filter warmed so judges every row of the chunk
 * exactly as a filter that saw the whole capture, provided timestamps do not go backwards (a capture from one point,
 * as a mirror target's is) and a window holds fewer records than the bounds: records before the warm-up are then
 * outside the window of every row of the chunk, so they are never matched, and insert() treats them as free ways in
 * both runs alike (at most WAYS records of a window share a bucket; past that the oldest is forgotten, again in both
 * runs alike). The chunk runs the warm-up lazily, before its first mirrored row: until then nothing was remembered.
 *
 * The session of a dropped copy still saw the connection: every entry keeps a reference to the kept row it is a copy
 * of (the caller's ordinal of that row, -1 for a row of another chunk), and a dropped row leaves a pending pair
 * (reference, its session) for the caller to add to that row's connection. The copy a chunk's kept row gets from the
 * next chunk is found by the chunk's look ahead (LOOKAHEAD_WINDOWS, judged by this same filter): the records after
 * the chunk, while each has a timestamp <= the chunk's last + LOOKAHEAD_WINDOWS windows, within the same bounds.
 */
import { Layer, type PacketBatch } from './batch.js';
import { grown } from '../typed.js';

/** Entries per bucket. */
const WAYS = 8;

/** Default window: copies of one packet from two sessions arrive within it; a retransmission rarely does. */
export const DEFAULT_DUPLICATE_WINDOW = 0.002;

/** Bounds of a chunk's warm-up (see the rule above): 2 ms at 32 Mpps, or at 32 Gbit/s. */
export const MAX_WARM_RECORDS = 1 << 16;
export const MAX_WARM_BYTES = 8 << 20;
/** Windows a chunk's look ahead covers: a copy of a copy ... of a kept row, delivered by up to 5 sessions. */
export const LOOKAHEAD_WINDOWS = 4;

export interface DuplicateFilterOptions {
  /** Seconds within which a copy from another session is a duplicate (default 2 ms). */
  windowSeconds?: number;
  /** Buckets in the table, rounded up to a power of two (default 16384: 131072 entries, 4.7 MB). */
  buckets?: number;
}

export class DuplicateFilter {
  readonly windowSeconds: number;
  /** Rows judged duplicates (warm-up rows are never counted). */
  dropped = 0;
  /** Rows judged (IP rows passed to judge()). */
  judged = 0;
  private readonly mask: number;
  /** The table, allocated at the first mirrored row (a capture without tunnels never needs it). */
  private fpA = new Uint32Array(0);
  private fpB = new Uint32Array(0);
  private session = new Uint32Array(0);
  private ts = new Float64Array(0);
  /** Insertion order of each entry (0 = empty): the oldest of a full bucket is replaced. */
  private order = new Float64Array(0);
  /** The kept row each entry is (a copy of): the caller's ordinal, -1 for none of this chunk's. */
  private ref = new Float64Array(0);
  private next = 1;
  /** Set by lookup(): the reference of the earliest entry from another session the row matched. */
  private matched = -1;
  /** Dropped rows whose kept row is this chunk's: its reference and the dropped row's session, `pending` of them. */
  pendingRef = new Float64Array(64);
  pendingSession = new Uint32Array(64);
  pending = 0;
  /** Fingerprint of the row last hashed. */
  private hA = 0;
  private hB = 0;

  constructor(o: DuplicateFilterOptions = {}) {
    this.windowSeconds = o.windowSeconds ?? DEFAULT_DUPLICATE_WINDOW;
    let n = 16;
    while (n < (o.buckets ?? 16384)) n <<= 1;
    this.mask = n - 1;
  }

  private allocate(): void {
    const n = (this.mask + 1) * WAYS;
    this.fpA = new Uint32Array(n);
    this.fpB = new Uint32Array(n);
    this.session = new Uint32Array(n);
    this.ts = new Float64Array(n);
    this.order = new Float64Array(n);
    this.ref = new Float64Array(n);
  }

  /** Forget everything (counters too); costs nothing when nothing was remembered. */
  reset(): void {
    if (this.next > 1) this.order.fill(0);
    this.next = 1;
    this.dropped = 0;
    this.judged = 0;
    this.pending = 0;
  }

  /** True once a mirrored row was seen (the table exists). */
  get active(): boolean {
    return this.order.length > 0;
  }

  /**
   * Judge row i of `batch` and remember it: true when it is a copy another session already delivered. `ordinal`
   * names the row should it be kept (-1: a row the caller does not keep, as in a look ahead); a dropped row whose kept
   * row has an ordinal leaves a pending pair.
   */
  judge(batch: PacketBatch, i: number, ordinal = -1): boolean {
    if (!this.fingerprint(batch, i)) return false;
    if (this.order.length === 0) this.allocate();
    this.judged++;
    const session = batch.sessionKey[i]!;
    const dup = this.lookup(session, batch.ts[i]!);
    this.insert(session, batch.ts[i]!, dup ? this.matched : ordinal);
    if (dup) {
      this.dropped++;
      if (this.matched >= 0) this.addPending(this.matched, session);
    }
    return dup;
  }

  /** Remember row i without judging it: a record of the window before this filter's chunk. */
  warm(batch: PacketBatch, i: number): void {
    if (!this.fingerprint(batch, i)) return;
    if (this.order.length === 0) this.allocate();
    this.insert(batch.sessionKey[i]!, batch.ts[i]!, -1);
  }

  private addPending(ref: number, session: number): void {
    if (this.pending === this.pendingRef.length) {
      this.pendingRef = grown(this.pendingRef, 2 * this.pending);
      this.pendingSession = grown(this.pendingSession, 2 * this.pending);
    }
    this.pendingRef[this.pending] = ref;
    this.pendingSession[this.pending++] = session;
  }

  /** Hash the row into hA/hB; false for rows that are never duplicates (not mirrored, not IP). */
  private fingerprint(batch: PacketBatch, i: number): boolean {
    const fam = batch.family[i]!;
    if (fam === 0 || batch.tunnelDepth[i] === 0) return false;
    const proto = batch.proto[i]!;
    const base = 4 * i;
    let a = 0x9e3779b9 ^ (fam << 8) ^ proto;
    let b = 0x7f4a7c15 ^ (proto << 8) ^ fam;
    const src = batch.src;
    const dst = batch.dst;
    const words = fam === 6 ? 4 : 1;
    for (let w = 0; w < words; w++) {
      a = step(a, src[base + w]!);
      b = step2(b, src[base + w]!);
      a = step(a, dst[base + w]!);
      b = step2(b, dst[base + w]!);
    }
    const ports = ((batch.sport[i]! << 16) | batch.dport[i]!) >>> 0;
    a = step(a, ports);
    b = step2(b, ports);
    a = step(a, batch.ipId[i]!);
    b = step2(b, batch.ipId[i]!);
    a = step(a, batch.payloadLen[i]!);
    b = step2(b, batch.payloadLen[i]!);
    const extra = ((batch.frag[i]! << 24) | (batch.layer[i]! << 16)) >>> 0;
    a = step(a, extra);
    b = step2(b, extra);
    if (batch.layer[i] === Layer.TRANSPORT) {
      if (proto === 6) {
        a = step(a, batch.tcpSeq[i]!);
        b = step2(b, batch.tcpSeq[i]!);
        a = step(a, batch.tcpAck[i]!);
        b = step2(b, batch.tcpAck[i]!);
        a = step(a, batch.tcpFlags[i]!);
        b = step2(b, batch.tcpFlags[i]!);
      } else if (proto === 1 || proto === 58) {
        const tc = (batch.icmpType[i]! << 8) | batch.icmpCode[i]!;
        a = step(a, tc);
        b = step2(b, tc);
      }
    }
    this.hA = fin(a);
    this.hB = fin(b);
    return true;
  }

  /**
   * Within the window in this bucket: k = this session's entries with the fingerprint + 1; a duplicate when another
   * session has at least k. Buckets hold at most WAYS entries, so the count per other session is a short scan.
   */
  private lookup(session: number, t: number): boolean {
    const w = this.windowSeconds;
    const first = (this.hA & this.mask) * WAYS;
    const fpA = this.fpA;
    const fpB = this.fpB;
    const ses = this.session;
    const ts = this.ts;
    const order = this.order;
    const hA = this.hA;
    const hB = this.hB;
    let own = 0;
    let others = 0;
    let earliest = Infinity;
    for (let e = first; e < first + WAYS; e++) {
      if (order[e] === 0 || fpA[e] !== hA || fpB[e] !== hB) continue;
      const d = t - ts[e]!;
      if (d > w || d < -w) continue;
      if (ses[e] === session) own++;
      else {
        others++;
        if (order[e]! < earliest) {
          earliest = order[e]!;
          this.matched = this.ref[e]!;
        }
      }
    }
    if (others <= own) return false;
    // Some other session has more than `own` copies: find the largest count of one other session.
    for (let e = first; e < first + WAYS; e++) {
      if (order[e] === 0 || fpA[e] !== hA || fpB[e] !== hB || ses[e] === session) continue;
      const d = t - ts[e]!;
      if (d > w || d < -w) continue;
      let n = 0;
      const s = ses[e]!;
      for (let f = first; f < first + WAYS; f++) {
        if (order[f] === 0 || ses[f] !== s || fpA[f] !== hA || fpB[f] !== hB) continue;
        const df = t - ts[f]!;
        if (df <= w && df >= -w) n++;
      }
      if (n > own) return true;
    }
    return false;
  }

  /**
   * Put the fingerprint in its bucket: in an empty way or over an entry outside the window (it can never match a
   * later row, timestamps ascending), else over the oldest entry. A filter warmed with the window before its chunk
   * keeps the same entries within the window as one that saw everything: the extra, older entries of the latter are
   * outside the window or older than every entry of the window, so they are the ones it replaces.
   */
  private insert(session: number, t: number, ref: number): void {
    const first = (this.hA & this.mask) * WAYS;
    const order = this.order;
    const ts = this.ts;
    const w = this.windowSeconds;
    let slot = -1;
    let oldest = Infinity;
    for (let e = first; e < first + WAYS; e++) {
      const o = order[e]!;
      const d = t - ts[e]!;
      if (o === 0 || d > w || d < -w) {
        slot = e;
        break;
      }
      if (o < oldest) {
        oldest = o;
        slot = e;
      }
    }
    this.fpA[slot] = this.hA;
    this.fpB[slot] = this.hB;
    this.session[slot] = session;
    ts[slot] = t;
    order[slot] = this.next++;
    this.ref[slot] = ref;
  }

  /** Bytes held by the table. */
  byteSize(): number {
    return this.fpA.byteLength + this.fpB.byteLength + this.session.byteLength + this.ts.byteLength + this.order.byteLength + this.ref.byteLength;
  }
}

function step(h: number, w: number): number {
  h = Math.imul(h ^ w, 0x85ebca6b);
  return h ^ (h >>> 13);
}
function step2(h: number, w: number): number {
  h = Math.imul(h ^ w, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
function fin(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  return (h ^ (h >>> 15)) >>> 0;
}

/**
 * The last MAX_WARM_RECORDS records in file order (offset, timestamp, a caller's tag), and the warm-up rule over them.
 * A main thread walking the record headers keeps one; so does a worker walking back from a proven record boundary.
 */
export class RecordRing {
  readonly offsets = new Float64Array(MAX_WARM_RECORDS);
  readonly ts = new Float64Array(MAX_WARM_RECORDS);
  readonly tags = new Int32Array(MAX_WARM_RECORDS);
  /** Records pushed since the last reset (record k is at index k & mask while k >= pushed - MAX_WARM_RECORDS). */
  pushed = 0;
  /**
   * Set by warmStart(): true when a timestamp or a bound ended the warm-up; false when it ran into the oldest record
   * held (then it is the whole warm-up only if nothing came before that record in the capture).
   */
  complete = false;

  reset(): void {
    this.pushed = 0;
  }

  push(offset: number, ts: number, tag: number): void {
    const k = this.pushed++ & (MAX_WARM_RECORDS - 1);
    this.offsets[k] = offset;
    this.ts[k] = ts;
    this.tags[k] = tag;
  }

  /**
   * The warm-up of a chunk starting at offset `start` whose first record has timestamp `t`, over the records held
   * (all before `start`): the record number (pushed - n) of its first record; `pushed` when it is empty.
   */
  warmStart(start: number, t: number, window: number): number {
    const oldest = Math.max(0, this.pushed - MAX_WARM_RECORDS);
    const floor = start - MAX_WARM_BYTES;
    const after = t - window;
    let k = this.pushed;
    this.complete = true;
    while (k > oldest) {
      const j = (k - 1) & (MAX_WARM_RECORDS - 1);
      if (this.ts[j]! < after || this.offsets[j]! < floor) return k;
      k--;
    }
    this.complete = this.pushed - k >= MAX_WARM_RECORDS;
    return k;
  }

  offsetOf(k: number): number {
    return this.offsets[k & (MAX_WARM_RECORDS - 1)]!;
  }
  tagOf(k: number): number {
    return this.tags[k & (MAX_WARM_RECORDS - 1)]!;
  }
}
