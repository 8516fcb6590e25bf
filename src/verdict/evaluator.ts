/**
 * Per-packet verdicts of every scenario. A packet crossing a placement's
 * subnet boundary meets its ACL: inbound when the destination is inside and the source outside, outbound for the
 * reverse (AWS VPC user guide, "Network ACL basics"); in a topology a packet from subnet A to subnet B meets A's
 * outbound rules, then B's inbound rules, and is dropped at the first deny.
 */
import { classify } from '../acl/classify.js';
import { PacketBatch, Frag } from '../decode/batch.js';
import type { ReplaySpec } from './spec.js';

/** Verdict codes: 0 = not applicable; ±((gate + 1) << 16 | rule), positive = allowed, negative = denied. */
export const NO_RULE = 0xffff;

export function verdictCode(gate: number, rule: number, allow: boolean): number {
  const c = ((gate + 1) << 16) | (rule < 0 ? NO_RULE : rule);
  return allow ? c : -c;
}
export function verdictGate(code: number): number {
  return ((code < 0 ? -code : code) >>> 16) - 1;
}
export function verdictRule(code: number): number {
  const r = (code < 0 ? -code : code) & 0xffff;
  return r === NO_RULE ? -1 : r;
}

/** Evaluates batches against a spec; scratch is sized once for the batch capacity. */
export class Evaluator {
  readonly scenarios: number;
  /** Verdict code per scenario and packet: verdicts[s * capacity + i]. */
  readonly verdicts: Int32Array;
  /** Rule hits per gate (2 per placement: inbound, outbound), indexed by rule; the extra last slot counts packets
   * no rule matched (denied: an ACL without a default rule). */
  readonly ruleHits: Float64Array[];
  /** Per scenario: IP packets that crossed none of its subnet boundaries. */
  readonly notApplicable: Float64Array;
  private readonly gateIdx: Int32Array[];
  private readonly gateCount: Int32Array;
  private readonly out: Int32Array;
  private readonly inGate: Int32Array;
  private readonly outGate: Int32Array;
  private readonly inRule: Int32Array;
  private readonly outRule: Int32Array;
  /** Scenarios with the same subnets share one membership pass: group per scenario, and per group the source
   * and destination subnet of each packet as placement (relative to the scenario's first) << 16 | subnet index
   * within the placement, -1 outside them all. */
  private readonly group: Int32Array;
  private readonly srcPlacement: Int32Array[];
  private readonly dstPlacement: Int32Array[];
  /** Per subnet group: membership already computed for this batch. */
  private readonly done: Uint8Array;

  constructor(
    readonly spec: ReplaySpec,
    readonly capacity: number,
  ) {
    this.scenarios = spec.scenarios.length;
    this.verdicts = new Int32Array(this.scenarios * capacity);
    const gates = 2 * spec.placements.length;
    this.ruleHits = [];
    this.gateIdx = [];
    for (let g = 0; g < gates; g++) {
      const p = spec.placements[g >> 1]!;
      const acl = spec.acls[p.acl]!;
      this.ruleHits.push(new Float64Array((g & 1 ? acl.outbound : acl.inbound).ruleCount + 1));
      this.gateIdx.push(new Int32Array(capacity));
    }
    this.gateCount = new Int32Array(gates);
    this.notApplicable = new Float64Array(this.scenarios);
    this.out = new Int32Array(capacity);
    this.inGate = new Int32Array(capacity);
    this.outGate = new Int32Array(capacity);
    this.inRule = new Int32Array(capacity);
    this.outRule = new Int32Array(capacity);
    this.group = new Int32Array(this.scenarios);
    const keys: string[] = [];
    for (let sc = 0; sc < this.scenarios; sc++) {
      const { first, count } = spec.scenarios[sc]!;
      const key = spec.placements
        .slice(first, first + count)
        .map((p) => `${Array.from(p.v4).join(',')}/${Array.from(p.v6).join(',')}`)
        .join('|');
      let g = keys.indexOf(key);
      if (g < 0) g = keys.push(key) - 1;
      this.group[sc] = g;
    }
    this.done = new Uint8Array(keys.length);
    this.srcPlacement = keys.map(() => new Int32Array(capacity));
    this.dstPlacement = keys.map(() => new Int32Array(capacity));
  }

  /** Zero the rule hits and not-applicable counts (the evaluator serves chunk after chunk). */
  resetCounts(): void {
    for (const h of this.ruleHits) h.fill(0);
    this.notApplicable.fill(0);
  }

  /** Which subnet of which placement (relative to the scenario's first) holds each packet's source and destination. */
  private membership(batch: PacketBatch, first: number, count: number, src: Int32Array, dst: Int32Array): void {
    const spec = this.spec;
    const n = batch.length;
    for (let i = 0; i < n; i++) {
      src[i] = -1;
      dst[i] = -1;
      const fam = batch.family[i]!;
      if (fam === 0 || batch.frag[i] === Frag.LATER) continue;
      for (let k = 0; k < count; k++) {
        const pl = spec.placements[first + k]!;
        if (src[i]! < 0) {
          const sub = subnetOf(batch.src, i, fam, pl.v4, pl.v6);
          if (sub >= 0) src[i] = (k << 16) | sub;
        }
        if (dst[i]! < 0) {
          const sub = subnetOf(batch.dst, i, fam, pl.v4, pl.v6);
          if (sub >= 0) dst[i] = (k << 16) | sub;
        }
      }
    }
  }

  /**
   * Verdicts for every packet of the batch (later fragments get 0 here; see applyFragments). With `weights`, row i
   * counts weights[i] times in the rule hits and not-applicable counts (a flow-log direction stands for its packets).
   */
  evaluate(batch: PacketBatch, weights: Float64Array | null = null): void {
    const n = batch.length;
    const spec = this.spec;
    const done = this.done.fill(0);
    for (let s = 0; s < this.scenarios; s++) {
      const { first, count } = spec.scenarios[s]!;
      const grp = this.group[s]!;
      const srcOf = this.srcPlacement[grp]!;
      const dstOf = this.dstPlacement[grp]!;
      if (!done[grp]) {
        this.membership(batch, first, count, srcOf, dstOf);
        done[grp] = 1;
      }
      this.gateCount.fill(0, 2 * first, 2 * (first + count));
      for (let i = 0; i < n; i++) {
        this.inGate[i] = -1;
        this.outGate[i] = -1;
        const sp = srcOf[i]!;
        const dp = dstOf[i]!;
        // Within one subnet, or outside them all: the NACLs do not see it. Between two subnets of one placement (one
        // ACL associated with both) it leaves one and enters the other: that ACL's outbound, then its inbound rules.
        if (sp === dp) continue;
        const srcP = sp < 0 ? -1 : first + (sp >> 16);
        const dstP = dp < 0 ? -1 : first + (dp >> 16);
        if (srcP >= 0) {
          const g = 2 * srcP + 1;
          this.outGate[i] = g;
          this.gateIdx[g]![this.gateCount[g]!++] = i;
        }
        if (dstP >= 0) {
          const g = 2 * dstP;
          this.inGate[i] = g;
          this.gateIdx[g]![this.gateCount[g]!++] = i;
        }
      }
      for (let g = 2 * first; g < 2 * (first + count); g++) {
        const k = this.gateCount[g]!;
        if (k === 0) continue;
        const acl = spec.acls[spec.placements[g >> 1]!.acl]!;
        const idx = this.gateIdx[g]!;
        classify(g & 1 ? acl.outbound : acl.inbound, batch, idx, k, this.out);
        const rules = g & 1 ? this.outRule : this.inRule;
        for (let j = 0; j < k; j++) rules[idx[j]!] = this.out[j]!;
      }
      const base = s * this.capacity;
      for (let i = 0; i < n; i++) {
        const w = weights === null ? 1 : weights[i]!;
        const og = this.outGate[i]!;
        const ig = this.inGate[i]!;
        let v = 0;
        if (og >= 0) {
          const r = this.outRule[i]!;
          const acl = spec.acls[spec.placements[og >> 1]!.acl]!;
          const allow = r >= 0 && acl.outboundAllow[r] === 1;
          const hits = this.ruleHits[og]!;
          hits[r >= 0 ? r : hits.length - 1]! += w;
          v = verdictCode(og, r, allow);
        }
        if (ig >= 0 && v >= 0) {
          const r = this.inRule[i]!;
          const acl = spec.acls[spec.placements[ig >> 1]!.acl]!;
          const allow = r >= 0 && acl.inboundAllow[r] === 1;
          const hits = this.ruleHits[ig]!;
          hits[r >= 0 ? r : hits.length - 1]! += w;
          v = verdictCode(ig, r, allow);
        }
        if (og < 0 && ig < 0 && batch.family[i] !== 0 && batch.frag[i] !== Frag.LATER) this.notApplicable[s]! += w;
        this.verdicts[base + i] = v;
      }
    }
  }
}

/** Index of the first subnet holding row i's address (IPv4 subnets 0.., IPv6 ones 0x8000..), -1 when none does. */
function subnetOf(addr: Uint32Array, i: number, family: number, v4: Uint32Array, v6: Uint32Array): number {
  const b = 4 * i;
  if (family === 4) {
    const a = addr[b]!;
    for (let k = 0; k < v4.length; k += 2) if (((a & v4[k + 1]!) >>> 0) === v4[k]) return k >> 1;
    return -1;
  }
  for (let k = 0; k < v6.length; k += 8) {
    if (((addr[b]! & v6[k + 4]!) >>> 0) === v6[k] && ((addr[b + 1]! & v6[k + 5]!) >>> 0) === v6[k + 1] && ((addr[b + 2]! & v6[k + 6]!) >>> 0) === v6[k + 2] && ((addr[b + 3]! & v6[k + 7]!) >>> 0) === v6[k + 3]) return 0x8000 | (k >> 3);
  }
  return -1;
}
