/**
 * Verdict counters: per connection (or chunk segment), scenario and key direction, how many packets each verdict
 * met and the first deny / first allow; per fragment head, the datagram's verdict for its later fragments.
 */
import { PacketBatch, Frag } from '../decode/batch.js';
import { grown } from '../typed.js';
import type { Evaluator } from './evaluator.js';

/** Verdict counters per connection (or chunk segment), per scenario and key direction: index (f * S + s) * 2 + dir. */
export class SegmentVerdicts {
  allow: Uint32Array;
  deny: Uint32Array;
  notApplicable: Uint32Array;
  /** Verdict code of the first denied / first allowed packet (0 = none yet). */
  firstDeny: Int32Array;
  firstAllow: Int32Array;
  capacity: number;

  constructor(
    readonly scenarios: number,
    capacity: number,
  ) {
    this.capacity = capacity;
    const n = capacity * scenarios * 2;
    this.allow = new Uint32Array(n);
    this.deny = new Uint32Array(n);
    this.notApplicable = new Uint32Array(n);
    this.firstDeny = new Int32Array(n);
    this.firstAllow = new Int32Array(n);
  }

  /** Make room for `flows` rows (new rows are zero). */
  ensure(flows: number): void {
    if (flows <= this.capacity) return;
    let c = this.capacity;
    while (c < flows) c = Math.ceil(c * 1.5);
    const n = c * this.scenarios * 2;
    const grow = <T extends Uint32Array | Int32Array>(a: T): T => grown(a, n);
    this.allow = grow(this.allow);
    this.deny = grow(this.deny);
    this.notApplicable = grow(this.notApplicable);
    this.firstDeny = grow(this.firstDeny);
    this.firstAllow = grow(this.firstAllow);
    this.capacity = c;
  }

  /** Count one verdict for row j. */
  add(j: number, v: number, packets = 1): void {
    if (v > 0) {
      this.allow[j]! += packets;
      if (this.firstAllow[j] === 0) this.firstAllow[j] = v;
    } else if (v < 0) {
      this.deny[j]! += packets;
      if (this.firstDeny[j] === 0) this.firstDeny[j] = v;
    } else this.notApplicable[j]! += packets;
  }
}

/** Fragment verdict memory of a chunk: the first fragment's verdict per scenario, by fragment-head id. */
export class FragmentVerdicts {
  /** Verdict of the latest first fragment per head and scenario. */
  codes: Int32Array;
  /** Verdict of the first first fragment per head and scenario (for later fragments that came before it). */
  firstCodes: Int32Array;
  private hasFirst: Uint8Array;
  constructor(readonly scenarios: number) {
    this.codes = new Int32Array(16 * scenarios);
    this.firstCodes = new Int32Array(16 * scenarios);
    this.hasFirst = new Uint8Array(16 * scenarios);
  }
  set(head: number, s: number, v: number): void {
    const need = (head + 1) * this.scenarios;
    if (need > this.codes.length) {
      const n = Math.max(need, this.codes.length * 2);
      this.codes = grown(this.codes, n);
      this.firstCodes = grown(this.firstCodes, n);
      this.hasFirst = grown(this.hasFirst, n);
    }
    const k = head * this.scenarios + s;
    this.codes[k] = v;
    if (!this.hasFirst[k]) {
      this.hasFirst[k] = 1;
      this.firstCodes[k] = v;
    }
  }
  get(head: number, s: number): number {
    const k = head * this.scenarios + s;
    return k < this.codes.length ? this.codes[k]! : 0;
  }
}

/**
 * After evaluate(): give later fragments their first fragment's verdict, remember first fragments' verdicts, and
 * count every packet's verdict on its connection segment.
 */
export function countVerdicts(batch: PacketBatch, ev: Evaluator, segs: SegmentVerdicts, frags: FragmentVerdicts, flows: number): void {
  segs.ensure(flows);
  const S = ev.scenarios;
  const cap = ev.capacity;
  const n = batch.length;
  for (let i = 0; i < n; i++) {
    if (batch.family[i] === 0) continue;
    const frag = batch.frag[i]!;
    const f = batch.flowIndex[i]!;
    for (let s = 0; s < S; s++) {
      let v = ev.verdicts[s * cap + i]!;
      if (frag === Frag.FIRST) {
        const h = batch.fragHead[i]!;
        if (h >= 0) frags.set(h, s, v); // -1: a first fragment without usable ports, keyed to no datagram
      }
      else if (frag === Frag.LATER) {
        const h = batch.fragHead[i]!;
        if (h < 0) continue; // judged at the merge, when the first fragment may be known
        v = frags.get(h, s);
        ev.verdicts[s * cap + i] = v;
      }
      if (f >= 0) segs.add((f * S + s) * 2 + batch.flowDir[i]!, v);
    }
  }
}

/**
 * The verdict counts a traffic source hands the replay (a capture pass's merge, a flow-log judge): per connection
 * and key direction (SegmentVerdicts), rule hits per gate (the last slot: no rule matched), and per scenario the
 * packets that crossed no boundary and the later fragments whose datagram's verdict stayed unknown.
 */
export interface PassVerdicts {
  verdicts: SegmentVerdicts | null;
  ruleHits: Float64Array[];
  packetsNotApplicable: Float64Array;
  unknownFragments: Float64Array;
}
