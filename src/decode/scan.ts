/** The read+decode loop: records from a RecordReader into PacketBatch rows, handing each full batch on. */
import { RECORD, END, type RecordReader } from '../capture/reader.js';
import { PacketBatch } from './batch.js';
import { PacketParser } from './parser.js';
import type { CaptureStats } from './stats.js';
import { LOOKAHEAD_WINDOWS, MAX_WARM_BYTES, MAX_WARM_RECORDS, type DuplicateFilter } from './duplicates.js';

/** Called with each filled batch; the batch is reused after it returns. */
export type BatchSink = (batch: PacketBatch) => void;

/**
 * Read every record (those starting before file offset `stopAt`), decode into `batch`, call `sink` when it fills and
 * at the end. Synchronous for file sources except at refills; awaits only when the source is a stream. With
 * `duplicates`, a row the filter judges a copy of a packet another mirror session delivered is counted (in
 * `stats.packets` and `stats.duplicates`) but not kept; `warmUp`, when given, is called once with the first record's
 * timestamp before the first mirrored row is judged (to fill the filter with the window before the chunk). A kept
 * row's ordinal for the filter is its index among the rows handed to `sink`. Returns the last record's timestamp
 * (NaN when there was none).
 */
export async function decodeAll(
  reader: RecordReader,
  parser: PacketParser,
  batch: PacketBatch,
  stats: CaptureStats,
  sink: BatchSink,
  stopAt = Infinity,
  duplicates: DuplicateFilter | null = null,
  warmUp: ((firstTs: number) => void) | null = null,
): Promise<number> {
  const cap = batch.capacity;
  // The first and the latest timestamp, in a typed array: a double local of an async function lives across its
  // awaits, and V8 boxes it (a heap number per record) where a Float64Array slot is written in place.
  const times = new Float64Array(2).fill(NaN);
  let flushed = 0;
  for (;;) {
    if (reader.offset >= stopAt) break;
    const r = reader.next();
    if (r === RECORD) {
      const i = batch.length;
      const ts = reader.tsSec + reader.tsNsec * 1e-9;
      batch.ts[i] = ts;
      times[1] = ts;
      batch.recordOffset[i] = reader.recordOffset;
      parser.decode(reader.buf, reader.dataOff, reader.caplen, reader.origlen, reader.linkType, reader.fcsLen, reader.dataFileOffset, i);
      stats.record(reader.linkType, reader.caplen, reader.origlen, ts);
      if (times[0] !== times[0]) times[0] = ts;
      if (duplicates !== null && batch.tunnelDepth[i] !== 0) {
        if (warmUp !== null) {
          warmUp(times[0]!);
          warmUp = null;
        }
        if (duplicates.judge(batch, i, flushed + i, true)) {
          stats.duplicates++;
          continue;
        }
      }
      batch.length = i + 1;
      if (i + 1 === cap) {
        duplicates?.settle(batch, ts);
        stats.countBatch(batch);
        sink(batch);
        batch.length = 0;
        flushed += cap;
      }
      continue;
    }
    if (r === END) break;
    const got = reader.refill();
    if (typeof got !== 'number') await got;
  }
  duplicates?.settle(batch, times[1]!);
  if (batch.length > 0) {
    stats.countBatch(batch);
    sink(batch);
    batch.length = 0;
  }
  return times[1]!;
}

/**
 * Decode every record of `reader` (a file or buffer source: no awaiting) that starts in [from, stopAt), only to
 * remember it in `filter`: the records of the window before a chunk, which an earlier chunk counts (those before
 * `from` are only read past). `parser` should be a muted one (setWarmup) over `scratch`, a batch of its own;
 * problems, stats and tunnels are not counted.
 */
export function warmRecords(reader: RecordReader, parser: PacketParser, scratch: PacketBatch, filter: DuplicateFilter, stopAt: number, from = -Infinity): void {
  for (;;) {
    if (reader.offset >= stopAt) break;
    const r = reader.next();
    if (r === RECORD) {
      if (reader.recordOffset < from) continue;
      scratch.ts[0] = reader.tsSec + reader.tsNsec * 1e-9;
      scratch.recordOffset[0] = reader.recordOffset;
      parser.decode(reader.buf, reader.dataOff, reader.caplen, reader.origlen, reader.linkType, reader.fcsLen, reader.dataFileOffset, 0);
      filter.warm(scratch, 0);
      continue;
    }
    if (r === END) break;
    if (typeof reader.refill() !== 'number') throw new Error('warmRecords needs a source that reads without waiting');
  }
  scratch.length = 0;
}

/**
 * The look ahead of a chunk whose last record has timestamp `lastTs`, read from `reader` (positioned after the
 * chunk): the records while each has a timestamp <= lastTs + LOOKAHEAD_WINDOWS windows, starts before `from` +
 * MAX_WARM_BYTES, and there are at most MAX_WARM_RECORDS of them, judged by `filter` (which then holds the pending
 * pairs of copies of the chunk's rows). `parser` is muted over `scratch`, as for warmRecords.
 */
export function lookAheadRecords(reader: RecordReader, parser: PacketParser, scratch: PacketBatch, filter: DuplicateFilter, from: number, lastTs: number): void {
  const until = lastTs + LOOKAHEAD_WINDOWS * filter.windowSeconds;
  for (let n = 0; n < MAX_WARM_RECORDS; ) {
    const r = reader.next();
    if (r === RECORD) {
      const ts = reader.tsSec + reader.tsNsec * 1e-9;
      if (ts > until || reader.recordOffset >= from + MAX_WARM_BYTES) break;
      scratch.ts[0] = ts;
      scratch.recordOffset[0] = reader.recordOffset;
      parser.decode(reader.buf, reader.dataOff, reader.caplen, reader.origlen, reader.linkType, reader.fcsLen, reader.dataFileOffset, 0);
      filter.judge(scratch, 0, -1);
      n++;
      continue;
    }
    if (r === END) break;
    if (typeof reader.refill() !== 'number') throw new Error('lookAheadRecords needs a source that reads without waiting');
  }
  scratch.length = 0;
}
