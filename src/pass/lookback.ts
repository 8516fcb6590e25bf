/**
 * A chunk's look back and look ahead: the records just before it, which warm its duplicate filter, and those just
 * after it, which its filter judges so that copies of its rows delivered later name their session on its
 * connections (the rules are in src/decode/duplicates.ts); and, for a file cut at offsets, finding the record or
 * block boundary after a cut point.
 *
 * The walk knows every record's offset and timestamp, so it names the warm-up's first record (WarmPlan `records`).
 * A file cut at offsets is read by nobody on the main thread, so the worker walks back itself (`anchors`): from the
 * boundary it claims for an earlier chunk's cut, in the state this chunk resumes, forward over the records to its own
 * start, which gives the warm-up by the same rule. Only a walk from a true boundary in the true state is the true
 * chain of records, so the claim is reported (ChunkPartial.warmAnchor) and the pass checks it against that chunk's
 * start and reader state, which it proved; when they differ the chunk runs again with the proven ones as anchors.
 * The answer never rests on a guess.
 */
import { readSync } from 'node:fs';
import { FileSource, BufferSource, type ByteSource } from '../capture/source.js';
import { Problems } from '../capture/problems.js';
import { PcapReader } from '../capture/pcap.js';
import { PcapngReader } from '../capture/pcapng.js';
import { RECORD, END, STANDARD_MAX_PACKET, type RecordReader } from '../capture/reader.js';
import { findPcapBoundary, findPcapngBoundary, pcapShape } from '../capture/resync.js';
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
 * The first record (pcap) or block (pcapng) boundary at or after task.start where a chain of plausible headers
 * starts (before task.stopAt; -1 when none does), in the task's reader context. Only a claim: the pass checks it
 * against where the previous chunk stopped, in the same reader state.
 */
export function claimBoundary(fd: number, task: Pick<ChunkTask, 'file' | 'start' | 'stopAt' | 'end' | 'firstTs' | 'context'>): number {
  const ctx = task.context;
  const shape = ctx.format === 'pcap' ? pcapShape(ctx.header, task.firstTs) : null;
  const section = ctx.format === 'pcapng' ? ctx.section : null;
  const window = new Uint8Array(RESYNC_WINDOW + 2 * (shape ? shape.maxRecord : STANDARD_MAX_PACKET));
  const limit = Math.min(task.stopAt, task.end);
  for (let from = task.start; from < limit; from += RESYNC_WINDOW) {
    let got: number;
    try {
      got = readSync(fd, window, 0, Math.min(window.length, task.end - from), from);
    } catch (e) {
      throw new IoError(task.file, `read error at offset ${from}: ${(e as Error).message}`);
    }
    const last = Math.min(got, RESYNC_WINDOW, limit - from);
    // pcapng blocks are aligned from the start of the file: search from an aligned window start.
    const p = shape ? findPcapBoundary(window, 0, last, got, shape) : findPcapngBoundary(window, (4 - (from & 3)) & 3, last, got, section?.littleEndian ?? true, section?.interfaces.count ?? 0);
    if (p >= 0) return from + p;
    if (got < window.length) break;
  }
  return -1;
}

/** A reader of `source` from `offset` in `ctx` (pcapng: with the timestamp an SPB there inherits). */
function readerAt(ctx: ChunkContext, source: ByteSource, file: string, problems: Problems, offset: number): RecordReader {
  if (ctx.format === 'pcap') return new PcapReader(source, file, problems, ctx.header, offset);
  const r = new PcapngReader(source, file, problems, offset, ctx.section);
  r.lastSec = ctx.lastSec ?? 0;
  r.lastNsec = ctx.lastNsec ?? 0;
  return r;
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
  warm(task: ChunkTask, plan: WarmPlan, fd: number, start: number, firstTs: number, filter: DuplicateFilter): { chunk: number; offset: number; inherited: boolean } | null {
    if (plan.kind === 'records') {
      if (plan.from >= start) return null;
      const source = plan.bytes ? new BufferSource(plan.bytes) : new FileSource(fd, plan.from, start, task.file);
      warmRecords(readerAt(plan.context, source, task.file, new Problems(0), plan.from), this.parser, this.scratch, filter, start);
      return null;
    }
    if (fd < 0) return null;
    const ring = (this.ring ??= new RecordRing());
    // Walk back from chunk k - 1's start, then k - 2, k - 4, ...: until the warm-up rule stops before the anchor, or
    // the anchor is the capture's first record. Chunk 0 starts at `first` in the initial state; a later chunk's start
    // is claimed from its cut in this task's state, or proven.
    for (let back = 1; ; back *= 2) {
      const j = Math.max(0, task.chunk - back);
      const cut = plan.first + j * plan.every;
      const ctx: ChunkContext = plan.provenContexts ? plan.provenContexts[j]! : j === 0 && task.context.format === 'pcapng' ? { format: 'pcapng', section: null } : task.context;
      const anchor = plan.proven ? plan.proven[j]! : j === 0 ? plan.first : claimBoundary(fd, { file: task.file, start: cut, stopAt: Math.min(cut + plan.every, start), end: task.end, firstTs: task.firstTs, context: ctx });
      // Nothing to prove about chunk 0's start or about proven ones.
      const claim = (offset: number, inherited: boolean) => (plan.proven || j === 0 ? null : { chunk: j, offset, inherited });
      if (anchor >= 0 && anchor < start) {
        const walked = this.walk(ctx, fd, task.file, anchor, start, ring);
        if (walked < 0) {
          // The chain from the anchor does not reach the chunk's start: one of them is not a boundary. Offset -1 never
          // matches a proven start, so the pass runs the chunk again from proven ones.
          return claim(-1, false);
        }
        const w = ring.warmStart(start, firstTs, filter.windowSeconds);
        if (ring.complete || j === 0) {
          if (w < ring.pushed) {
            // pcap: read from the warm-up's first record; pcapng: again from the anchor, in the state it starts in.
            const from = ctx.format === 'pcap' ? ring.offsetOf(w) : anchor;
            const reader = readerAt(ctx, new FileSource(fd, from, start, task.file), task.file, new Problems(0), from);
            warmRecords(reader, this.parser, this.scratch, filter, start, ring.offsetOf(w));
          }
          return claim(anchor, walked === 1);
        }
      }
      if (j === 0) return null;
    }
  }

  /**
   * Push every record from `from` to `to` into the ring: -1 when the chain of records does not end exactly at `to`,
   * else 1 when a leading Simple Packet Block took the state's timestamp, 0 when none did.
   */
  private walk(ctx: ChunkContext, fd: number, file: string, from: number, to: number, ring: RecordRing): number {
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
    if (reader.stoppedEarly || reader.offset !== to) return -1;
    return reader instanceof PcapngReader && reader.inheritedTimestamp ? 1 : 0;
  }

  /**
   * Judge the chunk's look ahead (the records from `from`, in `ctx`, after a chunk whose last record has timestamp
   * `lastTs`) with the chunk's filter, so that copies of the chunk's rows delivered after it leave their pending pairs.
   */
  lookAhead(ctx: ChunkContext, source: ByteSource, file: string, from: number, lastTs: number, filter: DuplicateFilter): void {
    lookAheadRecords(readerAt(ctx, source, file, new Problems(0), from), this.parser, this.scratch, filter, from, lastTs);
  }
}
