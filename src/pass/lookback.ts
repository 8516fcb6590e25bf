/**
 * A chunk's look back: the records just before it, which warm its duplicate filter (the rule is in
 * src/decode/duplicates.ts), and, for a pcap file cut at offsets, finding the record boundary after a cut point.
 *
 * The walk knows every record's offset and timestamp, so it names the warm-up's first record (WarmPlan `records`).
 * A pcap file cut at offsets is read by nobody on the main thread, so the worker walks back itself (`anchors`): from
 * the record boundary it claims for an earlier chunk's cut, forward over the record headers to its own start, which
 * gives the warm-up by the same rule. Only a walk from a true boundary is the true chain of records, so the claim is
 * reported (ChunkPartial.warmAnchor) and the pass checks it against that chunk's start, which it proved; when they
 * differ the chunk runs again with the proven starts as anchors. The answer never rests on a guess.
 */
import { readSync } from 'node:fs';
import { FileSource, BufferSource, type ByteSource } from '../capture/source.js';
import { Problems } from '../capture/problems.js';
import { PcapReader, type PcapFileHeader } from '../capture/pcap.js';
import { PcapngReader } from '../capture/pcapng.js';
import { RECORD, END, type RecordReader } from '../capture/reader.js';
import { findPcapBoundary, pcapShape } from '../capture/resync.js';
import { IoError } from '../errors.js';
import { PacketBatch } from '../decode/batch.js';
import { PacketParser } from '../decode/parser.js';
import { warmRecords, lookAheadRecords } from '../decode/scan.js';
import { RecordRing, type DuplicateFilter } from '../decode/duplicates.js';
import type { DecodeOptionsInput } from '../decode/options.js';
import type { ChunkContext, ChunkTask, WarmPlan } from './messages.js';

/** Window read at a time while looking for a record boundary. */
const RESYNC_WINDOW = 1 << 20;

/**
 * The first offset in [from, limit) where a chain of plausible record headers starts (the file may be read up to
 * `end`), or -1. Only a claim: src/capture/resync.ts says why, the pass proves it.
 */
export function claimPcapBoundary(fd: number, file: string, header: PcapFileHeader, firstTs: number, from: number, limit: number, end: number): number {
  const shape = pcapShape(header, firstTs);
  const window = new Uint8Array(RESYNC_WINDOW + 2 * shape.maxRecord);
  for (; from < limit; from += RESYNC_WINDOW) {
    let got: number;
    try {
      got = readSync(fd, window, 0, Math.min(window.length, end - from), from);
    } catch (e) {
      throw new IoError(file, `read error at offset ${from}: ${(e as Error).message}`);
    }
    const p = findPcapBoundary(window, 0, Math.min(got, RESYNC_WINDOW, limit - from), got, shape);
    if (p >= 0) return from + p;
    if (got < window.length) break;
  }
  return -1;
}

function readerAt(ctx: ChunkContext, source: ByteSource, file: string, problems: Problems, offset: number): RecordReader {
  return ctx.format === 'pcap' ? new PcapReader(source, file, problems, ctx.header, offset) : new PcapngReader(source, file, problems, offset, ctx.section);
}

/** One per chunk runner: the muted parser, scratch row and record ring every warm-up of its chunks reuses. */
export class LookBack {
  private readonly scratch = new PacketBatch(1);
  private readonly parser: PacketParser;
  private readonly problems = new Problems(0);
  private ring: RecordRing | null = null;

  constructor(decode: DecodeOptionsInput) {
    this.parser = new PacketParser(this.scratch, this.problems, decode);
    this.parser.setWarmup(true);
  }

  /**
   * Warm `filter` for the chunk of `task` whose first record is at `start` with timestamp `firstTs`; `fd` is the
   * capture file (-1 when the records travel as bytes). Returns the anchor claim to check (null: nothing to check).
   */
  warm(task: ChunkTask, plan: WarmPlan, fd: number, start: number, firstTs: number, filter: DuplicateFilter): { chunk: number; offset: number } | null {
    if (plan.kind === 'records') {
      if (plan.from >= start) return null;
      const source = plan.bytes ? new BufferSource(plan.bytes) : new FileSource(fd, plan.from, start, task.file);
      this.decodeRange(plan.context, source, task.file, plan.from, start, filter);
      return null;
    }
    const ctx = task.context;
    if (ctx.format !== 'pcap' || fd < 0) return null;
    const ring = (this.ring ??= new RecordRing());
    // Walk back from chunk k - 1's start, then k - 2, k - 4, ...: until the warm-up rule stops before the anchor, or
    // the anchor is the capture's first record.
    for (let back = 1; ; back *= 2) {
      const j = Math.max(0, task.chunk - back);
      const cut = plan.first + j * plan.every;
      const anchor = plan.proven ? plan.proven[j]! : j === 0 ? plan.first : claimPcapBoundary(fd, task.file, ctx.header, task.firstTs, cut, Math.min(cut + plan.every, start), task.end);
      if (anchor >= 0 && anchor < start) {
        if (!this.walk(ctx, fd, task.file, anchor, start, ring)) {
          // The chain from the anchor does not reach the chunk's start: one of them is not a boundary. Offset -1 never
          // matches a proven start, so the pass runs the chunk again from proven ones.
          return { chunk: j, offset: -1 };
        }
        const w = ring.warmStart(start, firstTs, filter.windowSeconds);
        if (ring.complete || j === 0) {
          if (w < ring.pushed) this.decodeRange(ctx, new FileSource(fd, ring.offsetOf(w), start, task.file), task.file, ring.offsetOf(w), start, filter);
          return plan.proven ? null : { chunk: j, offset: anchor };
        }
      }
      if (j === 0) return null;
    }
  }

  /** Push every record from `from` to `to` into the ring; false when the chain of records does not end exactly at `to`. */
  private walk(ctx: ChunkContext, fd: number, file: string, from: number, to: number, ring: RecordRing): boolean {
    ring.reset();
    const reader = readerAt(ctx, new FileSource(fd, from, to, file), file, new Problems(0), from);
    for (;;) {
      const r = reader.next();
      if (r === RECORD) {
        ring.push(reader.recordOffset, reader.tsSec + reader.tsNsec * 1e-9, 0);
        continue;
      }
      if (r === END) break;
      reader.refill();
    }
    return !reader.stoppedEarly && reader.offset === to;
  }

  /**
   * Judge the chunk's look ahead (the records from `from`, in `ctx`, after a chunk whose last record has timestamp
   * `lastTs`) with the chunk's filter, so that copies of the chunk's rows delivered after it leave their pending pairs.
   */
  lookAhead(ctx: ChunkContext, source: ByteSource, file: string, from: number, lastTs: number, filter: DuplicateFilter): void {
    lookAheadRecords(readerAt(ctx, source, file, new Problems(0), from), this.parser, this.scratch, filter, from, lastTs);
  }

  private decodeRange(ctx: ChunkContext, source: ByteSource, file: string, from: number, to: number, filter: DuplicateFilter): void {
    const reader = readerAt(ctx, source, file, this.problems, from);
    warmRecords(reader, this.parser, this.scratch, filter, to);
  }
}
