/**
 * Cutting inputs into shards. A capture is cut into byte ranges at fixed offsets after its first record: shard k
 * holds the records that start in [cut k, cut k + 1). A capture is not splittable by design (no sync marker, a
 * record is found only by following lengths from the file header), so the start of each range is searched for
 * here (src/capture/resync.ts: a chain of plausible record headers, or of pcapng blocks) and recorded with how it
 * was found; the merge then proves it exactly (src/pass/engine.ts ProvenMerge) and reads a shard again where the
 * claim was wrong.
 */
import { closeSync, openSync } from 'node:fs';
import { openCapture } from '../capture/open.js';
import { Problems } from '../capture/problems.js';
import { CHAIN_RECORDS } from '../capture/resync.js';
import { captureStart } from '../pass/engine.js';
import { claimBoundary } from '../pass/lookback.js';
import type { ChunkContext } from '../pass/messages.js';
import { UsageError, fromSystemError } from '../errors.js';
import type { PlannedShard } from './manifest.js';

/** How many shards, or how large each (bytes of the input per shard). */
export interface ShardSize {
  shards?: number;
  shardBytes?: number;
}

/** Most shards one plan may have. */
export const MAX_SHARDS = 65536;

/** What a capture's shards need to start reading: the first record's offset and time, the context to resume. */
export interface CaptureOrigin {
  first: number;
  firstTs: number;
  context: ChunkContext;
  size: number;
  format: 'pcap' | 'pcapng';
}

/** Open a plain capture file for shards: refused when it is compressed or not a file (nothing to cut at offsets). */
export async function captureOrigin(file: string): Promise<CaptureOrigin> {
  const opened = await openCapture(file, new Problems(0), {});
  try {
    if (file === '-' || !opened.seekable) {
      const why = opened.compression ? `${opened.compression}-compressed (decompress it first: a compressed stream cannot be cut at offsets)` : 'not a regular file';
      throw new UsageError(`${file} is ${why}: shards are byte ranges of a plain pcap or pcapng file`);
    }
    const { first, firstTs, context } = captureStart(opened);
    return { first, firstTs, context, size: opened.size, format: opened.reader.format === 'pcapng' ? 'pcapng' : 'pcap' };
  } finally {
    opened.reader.close();
  }
}

/** The bytes of input per shard (every cut is this far from the last). */
export function shardBytesOf(origin: CaptureOrigin, size: ShardSize): number {
  const span = Math.max(0, origin.size - origin.first);
  return size.shardBytes ?? Math.max(1, Math.ceil(span / (size.shards ?? 1)));
}

/** Shard ranges of a capture, each start found and described. */
export function cutCapture(file: string, origin: CaptureOrigin, size: ShardSize, input = 0): PlannedShard[] {
  const span = Math.max(0, origin.size - origin.first);
  const bytes = shardBytesOf(origin, size);
  const count = Math.max(1, Math.ceil(span / bytes));
  if (count > MAX_SHARDS) throw new UsageError(`${file}: ${count} shards of ${bytes} bytes is more than ${MAX_SHARDS}: give a larger --shard-bytes`);
  const out: PlannedShard[] = [];
  let fd = -1;
  try {
    for (let k = 0; k < count; k++) {
      const cut = origin.first + k * bytes;
      const stopAt = k === count - 1 ? null : cut + bytes;
      if (k === 0) {
        out.push({ shard: 0, input, cut, start: cut, stopAt, boundary: { method: 'file-start', detail: origin.format === 'pcap' ? `the first record, after the ${origin.first}-byte file header` : 'the first block (the section header)' } });
        continue;
      }
      if (fd < 0) {
        try {
          fd = openSync(file, 'r');
        } catch (e) {
          throw fromSystemError(file, e);
        }
      }
      const start = claimBoundary(fd, { file, start: cut, end: origin.size, stopAt: stopAt ?? Infinity, firstTs: origin.firstTs, context: origin.context });
      out.push({ shard: k, input, cut, start, stopAt, boundary: describe(origin, cut, start) });
    }
  } finally {
    if (fd >= 0) closeSync(fd);
  }
  return out;
}

function describe(origin: CaptureOrigin, cut: number, start: number): PlannedShard['boundary'] {
  if (start < 0) return { method: 'none-in-range', detail: `no plausible ${origin.format === 'pcap' ? 'record' : 'block'} starts between the cut and the next one (a record longer than the shard spans it): the shard holds no record start` };
  if (origin.format === 'pcap') {
    return {
      method: 'pcap-record-chain',
      detail: `${start - cut} bytes after the cut, ${CHAIN_RECORDS} record headers (or every one to the end of the file) chain from here: each with its timestamp within 10 years of the first record's (${origin.firstTs}) and a sub-second part in range, caplen within the file's record bound and <= origlen, the next header where the record ends`,
    };
  }
  return {
    method: 'pcapng-block-chain',
    detail: `${start - cut} bytes after the cut, on the file's 4-byte block alignment, ${CHAIN_RECORDS} blocks (or every one to the next section header or the end) chain from here: each of a known type, its length a multiple of 4 repeated in its trailer, packet blocks naming an interface of the section`,
  };
}
