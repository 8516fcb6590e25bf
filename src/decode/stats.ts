/** Capture-level counters for `info`: packets and bytes per link type, time span, decoded layer counts. */
import type { PacketBatch } from './batch.js';

/** Decoded counts as `info -F json` names them. */
export interface DecodedCounts {
  ipv4: number;
  ipv6: number;
  tcp: number;
  udp: number;
  icmp: number;
  other: number;
}

/** Mergeable counters over a run of records. */
export class CaptureStats {
  packets = 0;
  /** Sum of original (wire) lengths. */
  bytes = 0;
  /** Sum of captured lengths. */
  capturedBytes = 0;
  firstTs = Infinity;
  lastTs = -Infinity;
  /** Packets whose timestamp is earlier than the previous packet's. */
  outOfOrder = 0;
  /** Timestamps of the first and last packets in file order (to count out-of-order packets across chunks). */
  headTs = NaN;
  prevTs = -Infinity;
  readonly linkTypes = new Map<number, number>();
  private runType = -1;
  private runCount = 0;
  readonly decoded: DecodedCounts = { ipv4: 0, ipv6: 0, tcp: 0, udp: 0, icmp: 0, other: 0 };
  /** Packets whose decoding stopped at a truncated or malformed header. */
  truncated = 0;
  malformed = 0;
  fragments = 0;
  /** Records dropped as a copy another mirror session delivered (counted in `packets`, not in `decoded`). */
  duplicates = 0;

  /** Count one record (called per packet; a run of one link type costs no map update). */
  record(linkType: number, caplen: number, origlen: number, ts: number): void {
    this.packets++;
    this.bytes += origlen;
    this.capturedBytes += caplen;
    if (this.packets === 1) this.headTs = ts;
    else if (ts < this.prevTs) this.outOfOrder++;
    this.prevTs = ts;
    if (ts < this.firstTs) this.firstTs = ts;
    if (ts > this.lastTs) this.lastTs = ts;
    if (linkType !== this.runType) {
      this.flushRun();
      this.runType = linkType;
    }
    this.runCount++;
  }

  private flushRun(): void {
    if (this.runCount > 0) this.linkTypes.set(this.runType, (this.linkTypes.get(this.runType) ?? 0) + this.runCount);
    this.runCount = 0;
  }

  /** Count the decoded layers of a batch. */
  countBatch(batch: PacketBatch): void {
    const d = this.decoded;
    for (let i = 0; i < batch.length; i++) {
      const fam = batch.family[i];
      if (fam === 4) d.ipv4++;
      else if (fam === 6) d.ipv6++;
      const proto = fam === 0 ? -1 : batch.proto[i];
      if (proto === 6) d.tcp++;
      else if (proto === 17) d.udp++;
      else if (proto === 1 || proto === 58) d.icmp++;
      else d.other++;
      const a = batch.anomaly[i];
      if (a === 1) this.truncated++;
      else if (a === 2) this.malformed++;
      if (batch.frag[i] !== 0) this.fragments++;
    }
  }

  /** Packets per link type, after the last run is flushed. */
  linkTypeCounts(): Map<number, number> {
    this.flushRun();
    this.runType = -1;
    return this.linkTypes;
  }

  /** Plain columns for a partial. */
  toColumns(): StatsColumns {
    return {
      packets: this.packets,
      bytes: this.bytes,
      capturedBytes: this.capturedBytes,
      firstTs: this.firstTs,
      lastTs: this.lastTs,
      headTs: this.headTs,
      tailTs: this.prevTs,
      outOfOrder: this.outOfOrder,
      linkTypes: [...this.linkTypeCounts()],
      decoded: { ...this.decoded },
      truncated: this.truncated,
      malformed: this.malformed,
      fragments: this.fragments,
      duplicates: this.duplicates,
    };
  }

  /** Fold the counters of a later run of records (the next chunk in file order) into this. */
  mergeColumns(o: StatsColumns): void {
    if (o.packets === 0) return;
    if (this.packets > 0 && o.headTs < this.prevTs) this.outOfOrder++;
    if (this.packets === 0) this.headTs = o.headTs;
    this.prevTs = o.tailTs;
    this.packets += o.packets;
    this.bytes += o.bytes;
    this.capturedBytes += o.capturedBytes;
    if (o.firstTs < this.firstTs) this.firstTs = o.firstTs;
    if (o.lastTs > this.lastTs) this.lastTs = o.lastTs;
    this.outOfOrder += o.outOfOrder;
    this.flushRun();
    this.runType = -1;
    for (const [t, n] of o.linkTypes) this.linkTypes.set(t, (this.linkTypes.get(t) ?? 0) + n);
    for (const k of Object.keys(this.decoded) as (keyof DecodedCounts)[]) this.decoded[k] += o.decoded[k];
    this.truncated += o.truncated;
    this.malformed += o.malformed;
    this.fragments += o.fragments;
    this.duplicates += o.duplicates ?? 0;
  }
}

/** CaptureStats as plain data (msgpackr-friendly). */
export interface StatsColumns {
  packets: number;
  bytes: number;
  capturedBytes: number;
  firstTs: number;
  lastTs: number;
  headTs: number;
  tailTs: number;
  outOfOrder: number;
  linkTypes: [number, number][];
  decoded: DecodedCounts;
  truncated: number;
  malformed: number;
  fragments: number;
  duplicates: number;
}
