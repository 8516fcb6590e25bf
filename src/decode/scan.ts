/** The read+decode loop: records from a RecordReader into PacketBatch rows, handing each full batch on. */
import { RECORD, END, type RecordReader } from '../capture/reader.js';
import { PacketBatch } from './batch.js';
import { PacketParser } from './parser.js';
import type { CaptureStats } from './stats.js';

/** Called with each filled batch; the batch is reused after it returns. */
export type BatchSink = (batch: PacketBatch) => void;

/**
 * Read every record (those starting before file offset `stopAt`), decode into `batch`, call `sink` when it fills and
 * at the end. Synchronous for file sources except at refills; awaits only when the source is a stream.
 */
export async function decodeAll(
  reader: RecordReader,
  parser: PacketParser,
  batch: PacketBatch,
  stats: CaptureStats,
  sink: BatchSink,
  stopAt = Infinity,
): Promise<void> {
  const cap = batch.capacity;
  for (;;) {
    if (reader.offset >= stopAt) break;
    const r = reader.next();
    if (r === RECORD) {
      const i = batch.length;
      const ts = reader.tsSec + reader.tsNsec * 1e-9;
      batch.ts[i] = ts;
      batch.recordOffset[i] = reader.recordOffset;
      parser.decode(reader.buf, reader.dataOff, reader.caplen, reader.origlen, reader.linkType, reader.fcsLen, reader.dataFileOffset, i);
      stats.record(reader.linkType, reader.caplen, reader.origlen, ts);
      batch.length = i + 1;
      if (i + 1 === cap) {
        stats.countBatch(batch);
        sink(batch);
        batch.length = 0;
      }
      continue;
    }
    if (r === END) break;
    const got = reader.refill();
    if (typeof got !== 'number') await got;
  }
  if (batch.length > 0) {
    stats.countBatch(batch);
    sink(batch);
    batch.length = 0;
  }
}
