/**
 * Finding a record boundary in a classic pcap file from an arbitrary offset (a capture cut into chunks or shards
 * without reading it all first). A candidate offset must start a chain of record headers that all look real:
 * timestamps near the capture's first one with a sub-second part in range, caplen <= the file's record bound and
 * <= origlen, origlen bounded, and each next header where the previous record ends. Payload bytes can mimic a
 * header by chance, so a boundary found this way is a claim: the pass proves it by checking it is exactly where the
 * previous chunk's reader, following the true chain from the file header, stopped (src/pass/engine.ts).
 */
import { HARD_MAX_RECORD, STANDARD_MAX_PACKET } from './reader.js';
import type { PcapFileHeader } from './pcap.js';

/** Records a candidate chain must hold (fewer when the window ends first). */
export const CHAIN_RECORDS = 16;
/** How far from the first record's time a plausible timestamp may be: ten years either way. */
const TS_SPREAD = 10 * 365 * 86400;

/** What a plausible record header of this file looks like. */
export interface PcapShape {
  littleEndian: boolean;
  /** Sub-second units per second: 1e6 (microseconds) or 1e9 (nanoseconds). */
  subsecond: number;
  /** Record header length: 16, or 24 for the modified (Kuznetzov) format. */
  headerLen: number;
  /** Largest caplen the reader accepts. */
  maxRecord: number;
  /** Seconds of the file's first record (or of any record known to be real). */
  firstTs: number;
  /** libpcap's length swap: 1 before version 2.3 (caplen and len swapped), 2 for 2.3 (sometimes), else 0. */
  swapped: 0 | 1 | 2;
}

export function pcapShape(h: PcapFileHeader, firstTs: number): PcapShape {
  const snap = h.snaplen > 0 ? Math.min(h.snaplen, HARD_MAX_RECORD) : 0;
  const swapped = h.versionMinor < 3 ? 1 : h.versionMinor === 3 ? 2 : 0;
  return { littleEndian: h.littleEndian, subsecond: h.nanos ? 1e9 : 1e6, headerLen: h.modified ? 24 : 16, maxRecord: Math.max(STANDARD_MAX_PACKET, snap), firstTs, swapped };
}

function u32(b: Uint8Array, p: number, le: boolean): number {
  return le ? (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0 : ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
}

/** Length of the record whose header is at b[p..], or -1 when the header is implausible. */
function recordLength(b: Uint8Array, p: number, s: PcapShape): number {
  const le = s.littleEndian;
  const sec = u32(b, p, le);
  const sub = u32(b, p + 4, le);
  let caplen = u32(b, p + 8, le);
  let origlen = u32(b, p + 12, le);
  if (s.swapped === 1 || (s.swapped === 2 && caplen > origlen)) {
    const t = caplen;
    caplen = origlen;
    origlen = t;
  }
  if (sub >= s.subsecond || Math.abs(sec - s.firstTs) > TS_SPREAD) return -1;
  if (caplen > s.maxRecord || caplen > origlen || origlen > HARD_MAX_RECORD) return -1;
  return s.headerLen + caplen;
}

/**
 * The first offset in b[from, last) where a plausible chain of record headers in b[.., end) starts: CHAIN_RECORDS
 * headers, or, when the bytes end first, every header before `end`. -1 when none does.
 */
export function findPcapBoundary(b: Uint8Array, from: number, last: number, end: number, s: PcapShape): number {
  const hl = s.headerLen;
  for (let p = from; p < last && p + hl <= end; p++) {
    let q = p;
    let n = 0;
    let plausible = true;
    while (n < CHAIN_RECORDS && q + hl <= end) {
      const len = recordLength(b, q, s);
      if (len < 0) {
        plausible = false;
        break;
      }
      q += len;
      n++;
    }
    // Either CHAIN_RECORDS plausible headers, or every header up to the end of the window (the last record may run
    // past it: cut by the window, or by the end of a truncated file).
    if (plausible) return p;
  }
  return -1;
}
