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
 * outside the window of every row of the chunk, so they are never matched, and a bucket (filled round robin) replaces
 * them before any entry of the window (at most WAYS records of a window share a bucket; past that the oldest is
 * forgotten, in both runs alike). The chunk runs the warm-up lazily, before its first mirrored row: until then
 * nothing was remembered.
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
  /** Buckets in the table, rounded up to a power of two (default 16384: 131072 entries, 3.7 MB). */
  buckets?: number;
}

export class DuplicateFilter {
  readonly windowSeconds: number;
  /** Rows judged duplicates (warm-up rows are never counted). */
  dropped = 0;
  /** Rows judged (IP rows passed to judge()). */
  judged = 0;
  private readonly mask: number;
  /**
   * The table, allocated at the first mirrored row (a capture without tunnels never needs it). Buckets of WAYS
   * entries, filled round robin (`cursor`: the next way, so the oldest entry is replaced first). `fp` holds each
   * entry's first fingerprint with the top bit set (0: empty), contiguous per bucket, so a row that matches nothing
   * touches one cache line; `ext` holds, 3 per entry, its timestamp, the kept row it is (a copy of: the caller's
   * ordinal, -1 for none of this chunk's), and the second fingerprint (20 bits) * 2^32 + its session. Measured on the
   * 2 M-packet VXLAN bench capture (`info`, one thread, CPU): 0.41 s with six parallel arrays and a scan for the way
   * to replace, 0.35 s so.
   */
  private fp = new Uint32Array(0);
  private ext = new Float64Array(0);
  private cursor = new Uint8Array(0);
  private used = false;
  /** Set by lookup(): the reference of the earliest entry from another session the row matched. */
  private matched = -1;
  /**
   * The session of the last row remembered, and the time of the last row of any other session before it: while that
   * is more than a window ago, no other session can have delivered a copy (timestamps ascending), so the bucket is
   * not searched. A capture from one mirror session never searches.
   */
  /**
   * The filter's scalars in one typed array, read and written in place: the row being judged (timestamp, session),
   * its fingerprint (the stored form of the first, and the second with the session), the session of the last row
   * remembered, the time of the last row of any other session before it, and its own time. Session keys and
   * fingerprints reach 2^32 and timestamps are doubles: as arguments of a call V8 does not inline, or in fields, they
   * would be heap numbers, one or two per mirrored packet.
   */
  private readonly st = new Float64Array(7).fill(-Infinity);
  /** Rows judged with `defer` and not yet remembered: their batch index and ordinal. */
  private deferredRow = new Int32Array(64);
  private deferredOrdinal = new Float64Array(64);
  private deferred = 0;
  /** Dropped rows whose kept row is this chunk's: its reference and the dropped row's session, `pending` of them. */
  pendingRef = new Float64Array(64);
  pendingSession = new Uint32Array(64);
  pending = 0;

  constructor(o: DuplicateFilterOptions = {}) {
    this.windowSeconds = o.windowSeconds ?? DEFAULT_DUPLICATE_WINDOW;
    let n = 16;
    while (n < (o.buckets ?? 16384)) n <<= 1;
    this.mask = n - 1;
  }

  private allocate(): void {
    const n = (this.mask + 1) * WAYS;
    this.fp = new Uint32Array(n);
    this.ext = new Float64Array(3 * n);
    this.cursor = new Uint8Array(this.mask + 1);
  }

  /** Forget everything (counters too); costs nothing when nothing was remembered. */
  reset(): void {
    if (this.used) {
      this.fp.fill(0);
      this.cursor.fill(0);
    }
    this.used = false;
    this.st[S_RUN] = -1;
    this.st[S_OTHER] = this.st[S_LAST] = -Infinity;
    this.deferred = 0;
    this.dropped = 0;
    this.judged = 0;
    this.pending = 0;
  }

  /** True once a mirrored row was seen (the table exists). */
  get active(): boolean {
    return this.fp.length > 0;
  }

  /**
   * Judge row i of `batch` and remember it: true when it is a copy another session already delivered. `ordinal`
   * names the row should it be kept (-1: a row the caller does not keep, as in a look ahead); a dropped row whose kept
   * row has an ordinal leaves a pending pair. With `defer`, a row no other session can have copied (`alone`) is only
   * noted, and hashed and remembered when another session's row comes or by settle(), which the caller must call
   * before it reuses the batch; a capture from one mirror session then hashes only each batch's last window.
   * Measured on 500 k rows of the 4-session bench capture: 45 ns per row judged, hashing 18 of them.
   */
  judge(batch: PacketBatch, i: number, ordinal = -1, defer = false): boolean {
    if (batch.family[i] === 0 || batch.tunnelDepth[i] === 0) return false;
    if (this.fp.length === 0) this.allocate();
    this.judged++;
    const st = this.st;
    st[S_T] = batch.ts[i]!;
    st[S_SESSION] = batch.sessionKey[i]!;
    if (this.alone()) {
      if (defer) this.defer(i, ordinal);
      else {
        this.fingerprint(batch, i);
        this.insert(ordinal);
      }
      return false;
    }
    if (this.deferred > 0) {
      this.settle(batch, batch.ts[i]!);
      st[S_T] = batch.ts[i]!;
      st[S_SESSION] = batch.sessionKey[i]!;
    }
    this.fingerprint(batch, i);
    const dup = this.lookup();
    this.insert(dup ? this.matched : ordinal);
    if (dup) {
      this.dropped++;
      if (this.matched >= 0) this.addPending(this.matched);
    }
    return dup;
  }

  /**
   * Remember the deferred rows of `batch` that a row at `t` or later can still match, in order; the others never can
   * (timestamps ascending), and leaving them out changes no entry within a window (as for a chunk's warm-up).
   */
  settle(batch: PacketBatch, t: number): void {
    const from = t - this.windowSeconds;
    for (let k = 0; k < this.deferred; k++) {
      const i = this.deferredRow[k]!;
      const ts = batch.ts[i]!;
      if (ts < from) continue;
      this.st[S_T] = ts;
      this.st[S_SESSION] = batch.sessionKey[i]!;
      this.fingerprint(batch, i);
      this.insert(this.deferredOrdinal[k]!);
    }
    this.deferred = 0;
  }

  private defer(i: number, ordinal: number): void {
    if (this.deferred === this.deferredRow.length) {
      this.deferredRow = grown(this.deferredRow, 2 * this.deferred);
      this.deferredOrdinal = grown(this.deferredOrdinal, 2 * this.deferred);
    }
    this.deferredRow[this.deferred] = i;
    this.deferredOrdinal[this.deferred++] = ordinal;
  }

  /** Remember row i without judging it: a record of the window before this filter's chunk. */
  warm(batch: PacketBatch, i: number): void {
    this.st[S_T] = batch.ts[i]!;
    this.st[S_SESSION] = batch.sessionKey[i]!;
    if (!this.fingerprint(batch, i)) return;
    if (this.fp.length === 0) this.allocate();
    this.alone();
    this.insert(-1);
  }

  /** Note the row (its session and time in st): true when no other session delivered anything within the window before it. */
  private alone(): boolean {
    const st = this.st;
    const t = st[S_T]!;
    if (st[S_SESSION] !== st[S_RUN]) {
      st[S_OTHER] = st[S_LAST]!;
      st[S_RUN] = st[S_SESSION]!;
    }
    st[S_LAST] = t;
    return t - st[S_OTHER]! > this.windowSeconds;
  }

  /** A dropped row (of the session in st) whose kept row is `ref`. */
  private addPending(ref: number): void {
    if (this.pending === this.pendingRef.length) {
      this.pendingRef = grown(this.pendingRef, 2 * this.pending);
      this.pendingSession = grown(this.pendingSession, 2 * this.pending);
    }
    this.pendingRef[this.pending] = ref;
    this.pendingSession[this.pending++] = this.st[S_SESSION]!;
  }

  /** Hash the row (and its session, in st) into st's fingerprints; false for rows that are never duplicates (not mirrored, not IP). */
  private fingerprint(batch: PacketBatch, i: number): boolean {
    const fam = batch.family[i]!;
    if (fam === 0 || batch.tunnelDepth[i] === 0) return false;
    const proto = batch.proto[i]!;
    const base = 4 * i;
    // The first hash takes every field, packed into as few words as stay injective ((IPv4 id << 16 | payload
    // length), (fragment, layer, TCP flags or ICMP type/code)); the second, whose 20 bits only tell apart rows the
    // first confuses, takes the fields that differ most between packets (id and length, ports, TCP seq/ack).
    let a = 0x9e3779b9 ^ (fam << 8) ^ proto;
    let b = 0x7f4a7c15 ^ (proto << 8) ^ fam;
    const src = batch.src;
    const dst = batch.dst;
    a = step(a, src[base]!);
    a = step(a, dst[base]!);
    let x: number;
    if (fam === 6) {
      for (let w = 1; w < 4; w++) {
        a = step(a, src[base + w]!);
        a = step(a, dst[base + w]!);
      }
      a = step(a, batch.ipId[i]!);
      b = step2(b, batch.ipId[i]!);
      x = batch.payloadLen[i]!;
    } else x = ((batch.ipId[i]! << 16) | batch.payloadLen[i]!) >>> 0;
    a = step(a, x);
    b = step2(b, x);
    x = ((batch.sport[i]! << 16) | batch.dport[i]!) >>> 0;
    a = step(a, x);
    b = step2(b, x);
    const layer = batch.layer[i]!;
    let low = 0;
    if (layer === Layer.TRANSPORT) {
      if (proto === 6) {
        low = batch.tcpFlags[i]!;
        x = batch.tcpSeq[i]!;
        a = step(a, x);
        b = step2(b, x);
        x = batch.tcpAck[i]!;
        a = step(a, x);
        b = step2(b, x);
      } else if (proto === 1 || proto === 58) low = (batch.icmpType[i]! << 8) | batch.icmpCode[i]!;
    }
    a = step(a, ((batch.frag[i]! << 24) | (layer << 16) | low) >>> 0);
    this.st[S_HA] = (fin(a) | 0x80000000) >>> 0;
    this.st[S_CHECK] = (fin(b) & 0xfffff) * 4294967296 + this.st[S_SESSION]!;
    return true;
  }

  /**
   * Within the window in this bucket: k = this session's entries with the fingerprint + 1; a duplicate when another
   * session has at least k. Buckets hold at most WAYS entries, so the count per other session is a short scan.
   * Sessions are compared as the low 32 bits of `ext`'s third word (the rest is the second fingerprint).
   */
  private lookup(): boolean {
    const st = this.st;
    const t = st[S_T]!;
    const session = st[S_SESSION]!;
    const w = this.windowSeconds;
    const hA = st[S_HA]!;
    const bucket = hA & this.mask;
    const first = bucket * WAYS;
    const fp = this.fp;
    const ext = this.ext;
    const fpB = st[S_CHECK]! - session;
    const oldest = this.cursor[bucket]!;
    let own = 0;
    let others = 0;
    let earliest = WAYS;
    for (let e = first; e < first + WAYS; e++) {
      if (fp[e] !== hA) continue;
      const x = 3 * e;
      const d = t - ext[x]!;
      if (d > w || d < -w) continue;
      const c = ext[x + 2]!;
      const s = c % 4294967296;
      if (c - s !== fpB) continue;
      if (s === session) own++;
      else {
        others++;
        const age = (e - first - oldest) & (WAYS - 1);
        if (age < earliest) {
          earliest = age;
          this.matched = ext[x + 1]!;
        }
      }
    }
    if (others <= own) return false;
    // Some other session has more than `own` copies: find the largest count of one other session.
    for (let e = first; e < first + WAYS; e++) {
      if (fp[e] !== hA) continue;
      const x = 3 * e;
      const c = ext[x + 2]!;
      const s = c % 4294967296;
      const d = t - ext[x]!;
      if (s === session || c - s !== fpB || d > w || d < -w) continue;
      let n = 0;
      for (let f = first; f < first + WAYS; f++) {
        if (fp[f] !== hA || ext[3 * f + 2] !== fpB + s) continue;
        const df = t - ext[3 * f]!;
        if (df <= w && df >= -w) n++;
      }
      if (n > own) return true;
    }
    return false;
  }

  /**
   * Put the fingerprint in its bucket over the oldest entry (round robin). A filter warmed with the window before its
   * chunk keeps the same entries within the window as one that saw everything: the extra entries of the latter are
   * older than every entry of the window (timestamps ascending), so they are the ones replaced first, and they are
   * outside the window of every later row.
   */
  private insert(ref: number): void {
    const st = this.st;
    const hA = st[S_HA]!;
    const bucket = hA & this.mask;
    const way = this.cursor[bucket]!;
    this.cursor[bucket] = (way + 1) & (WAYS - 1);
    const e = bucket * WAYS + way;
    this.fp[e] = hA;
    const x = 3 * e;
    this.ext[x] = st[S_T]!;
    this.ext[x + 1] = ref;
    this.ext[x + 2] = st[S_CHECK]!;
    this.used = true;
  }

  /** Bytes held by the table. */
  byteSize(): number {
    return this.fp.byteLength + this.ext.byteLength + this.cursor.byteLength;
  }
}

/** Slots of DuplicateFilter.st. */
const S_T = 0;
const S_SESSION = 1;
const S_HA = 2;
const S_CHECK = 3;
const S_RUN = 4;
const S_OTHER = 5;
const S_LAST = 6;

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
  /** With `before`: the timestamp in effect before each record (seconds, nanoseconds), which a pcapng reader resuming there inherits. */
  readonly beforeSec: Float64Array | null;
  readonly beforeNsec: Uint32Array | null;

  constructor(before = false) {
    this.beforeSec = before ? new Float64Array(MAX_WARM_RECORDS) : null;
    this.beforeNsec = before ? new Uint32Array(MAX_WARM_RECORDS) : null;
  }
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

  push(offset: number, ts: number, tag: number, beforeSec = 0, beforeNsec = 0): void {
    const k = this.pushed++ & (MAX_WARM_RECORDS - 1);
    this.offsets[k] = offset;
    this.ts[k] = ts;
    this.tags[k] = tag;
    if (this.beforeSec) {
      this.beforeSec[k] = beforeSec;
      this.beforeNsec![k] = beforeNsec;
    }
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
