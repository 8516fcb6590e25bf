/**
 * Cutting a capture into chunks at record boundaries, on the main thread. For a plain file only offsets travel
 * (workers read their range themselves); for stdin and gzip the chunk's bytes travel. Each chunk carries the
 * reader context it starts in: the pcap file header, or the pcapng section (byte order, interfaces).
 */
import type { OpenedCapture } from '../capture/open.js';
import { RECORD, END } from '../capture/reader.js';
import { PcapReader } from '../capture/pcap.js';
import { PcapngReader, type PcapngSection } from '../capture/pcapng.js';
import { RecordRing, MAX_WARM_BYTES, MAX_WARM_RECORDS, LOOKAHEAD_WINDOWS } from '../decode/duplicates.js';
import type { ChunkContext, ChunkTask, WarmPlan } from './messages.js';
import { copyInterfaces } from '../capture/interfaces.js';

/** A pcapng section as a chunk resumes it: everything but the packet counts. */
export function sectionSnapshot(s: PcapngSection | null): PcapngSection | null {
  return s ? { ...s, interfaces: copyInterfaces(s.interfaces, false) } : null;
}

/** The reader state a chunk starting here is in. */
export function snapshot(reader: PcapReader | PcapngReader): ChunkContext {
  if (reader instanceof PcapReader) return { format: 'pcap', header: reader.header };
  return { format: 'pcapng', section: sectionSnapshot(reader.section), lastSec: reader.lastSec, lastNsec: reader.lastNsec };
}

/**
 * Walk the record headers of `opened` and yield tasks of about `chunkBytes` each. The last task runs to the end
 * of the input so the worker meets (and reports) whatever stopped the walk. With `warmWindow` (the duplicate
 * filter's window, seconds), each task names the records its filter is warmed with (src/decode/duplicates.ts);
 * when the input cannot be re-read their bytes travel with it, and so do those of its look ahead: such a task is
 * yielded once the walk has passed its look ahead. In that case a block skipped by its length ends every look back
 * and look ahead (its bytes are not kept).
 */
export async function* cutChunks(opened: OpenedCapture, chunkBytes: number, onProgress?: (offset: number) => void, warmWindow: number | null = null): AsyncGenerator<ChunkTask> {
  const reader = opened.reader as PcapReader | PcapngReader;
  const tee = opened.tee;
  let start = reader.offset;
  if (tee && start > 0) tee.cut(0, start); // the pcap file header, already parsed into the context
  let context = snapshot(reader);
  let chunk = 0;
  let lastProgress = 0;
  let skipped = -1;
  let skipHeader: Uint8Array | null = null;
  let skipContext: ChunkContext | null = null;
  // The look back: the last records (offset, timestamp, context generation) and the contexts they were read in.
  const ring = warmWindow !== null ? new RecordRing(reader instanceof PcapngReader) : null;
  // The timestamp in effect before the current record (what a pcapng reader resuming there inherits for an SPB).
  let beforeSec = reader instanceof PcapngReader ? reader.lastSec : 0;
  let beforeNsec = reader instanceof PcapngReader ? reader.lastNsec : 0;
  const contexts = new Map<number, ChunkContext>();
  let generation = 0;
  let lastSection: unknown = undefined;
  let lastInterfaces = -1;
  let warm: WarmPlan | null = null;
  let needWarm = false;
  // Tasks waiting for the bytes of their look ahead (stdin, gzip): the records from `from` (the task's end) while
  // their timestamps are <= `until`, within the bounds; yielded in order once done.
  const ahead: { task: ChunkTask; from: number; until: number; records: number; done: boolean }[] = [];
  const lookingAhead = ring !== null && tee !== null;
  const finishAhead = (to: number) => {
    for (const a of ahead) {
      if (a.done) continue;
      a.done = true;
      a.task.aheadBytes = tee!.slice(a.from, Math.max(a.from, to));
    }
  };
  const task = (end: number): ChunkTask => {
    const t: ChunkTask = {
      chunk: chunk++,
      file: opened.file,
      start,
      end,
      stopAt: Infinity,
      resync: false,
      firstTs: 0,
      // Bytes a later chunk's look back (or a waiting look ahead) may want stay kept: the last MAX_WARM_BYTES.
      bytes: tee ? tee.cut(start, end, ring ? Math.min(end - MAX_WARM_BYTES, ahead.length ? ahead[0]!.from : end) : end) : null,
      context,
      warm,
      aheadBytes: null,
    };
    warm = null;
    needWarm = ring !== null;
    return t;
  };
  if (chunkBytes === Infinity && !tee) {
    // One chunk: the worker reads everything itself; no walk needed.
    yield task(opened.size);
    return;
  }
  for (;;) {
    const r = reader.next();
    if (r === RECORD) {
      let ts = 0;
      if (ahead.length) {
        ts = reader.tsSec + reader.tsNsec * 1e-9;
        const o = reader.recordOffset;
        for (const a of ahead) {
          if (a.done) continue;
          if (ts > a.until || o >= a.from + MAX_WARM_BYTES || a.records >= MAX_WARM_RECORDS) {
            a.done = true;
            a.task.aheadBytes = tee!.slice(a.from, o);
          } else a.records++;
        }
        while (ahead.length && ahead[0]!.done) yield ahead.shift()!.task;
      }
      if (ring) {
        if (reader instanceof PcapngReader && (reader.section !== lastSection || (reader.section?.interfaces.count ?? 0) !== lastInterfaces)) {
          lastSection = reader.section;
          lastInterfaces = reader.section?.interfaces.count ?? 0;
          contexts.set(++generation, snapshot(reader));
          // Contexts older than every record held are never asked for again.
          const oldest = ring.pushed > 0 ? ring.tagOf(Math.max(0, ring.pushed - MAX_WARM_RECORDS)) : generation;
          for (const g of contexts.keys()) if (g < oldest) contexts.delete(g);
        } else if (contexts.size === 0) contexts.set(generation, context);
        ts = reader.tsSec + reader.tsNsec * 1e-9;
        if (needWarm) {
          // The first record of the chunk that starts at `start`: the rule can be applied now.
          const k = ring.warmStart(start, ts, warmWindow!);
          const from = k < ring.pushed ? ring.offsetOf(k) : start;
          let at = context;
          if (k < ring.pushed) {
            at = contexts.get(ring.tagOf(k))!;
            if (at.format === 'pcapng') at = { ...at, lastSec: ring.beforeSec![k & (MAX_WARM_RECORDS - 1)]!, lastNsec: ring.beforeNsec![k & (MAX_WARM_RECORDS - 1)]! };
          }
          warm = { kind: 'records', from, context: at, bytes: tee ? tee.slice(from, start) : null };
          needWarm = false;
        }
        ring.push(reader.recordOffset, ts, generation, beforeSec, beforeNsec);
        beforeSec = reader.tsSec;
        beforeNsec = reader.tsNsec;
      }
      const end = reader.offset;
      if (end - start >= chunkBytes) {
        const t = task(end);
        if (lookingAhead) ahead.push({ task: t, from: end, until: ts + LOOKAHEAD_WINDOWS * warmWindow!, records: 0, done: false });
        else yield t;
        start = end;
        context = snapshot(reader);
      }
      continue;
    }
    if (r === END) break;
    if (tee && reader.skipTo > reader.offset && reader.skipFrom >= start && reader.skipFrom !== skipped) {
      // A block the reader skips by its length (over 16 MiB, not a packet): end the chunk before it and drop its
      // bytes as they stream in, so memory stays bounded; the next chunk starts after it. Its header is kept in
      // case the input ends inside it (then a last task lets a worker report the truncation).
      skipped = reader.skipFrom;
      if (skipped > start) {
        const t = task(skipped);
        if (lookingAhead) ahead.push({ task: t, from: skipped, until: 0, records: 0, done: false });
        else yield t;
      }
      finishAhead(skipped);
      while (ahead.length) yield ahead.shift()!.task;
      ring?.reset();
      skipHeader = tee.cut(skipped, skipped + 12);
      skipContext = snapshot(reader);
      tee.discardUntil(reader.skipTo);
      start = reader.skipTo;
      context = snapshot(reader);
    }
    const g = reader.refill();
    if (typeof g !== 'number') await g;
    if (onProgress && reader.offset - lastProgress > 1 << 22) {
      lastProgress = reader.offset;
      onProgress(lastProgress);
    }
  }
  const end = tee ? tee.total : opened.size;
  if (ahead.length) {
    finishAhead(end);
    while (ahead.length) yield ahead.shift()!.task;
  }
  if (start > end && skipHeader) {
    // Only the header travels; `end` says how much of the block the input really held.
    yield { chunk: chunk++, file: opened.file, start: skipped, end, stopAt: Infinity, resync: false, firstTs: 0, bytes: skipHeader, context: skipContext!, warm: null, aheadBytes: null };
  } else if (end > start || chunk === 0) yield task(Math.max(end, start));
  onProgress?.(end);
}
