/**
 * Finding a record boundary in a classic pcap file (or a block boundary in a pcapng file) from an arbitrary offset
 * (a capture cut into chunks or shards without reading it all first). A candidate offset must start a chain of record headers that all look real:
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
  return firstChain(from, last, end, 1, s.headerLen, (q) => recordLength(b, q, s));
}

/**
 * The first offset p in [from, last), stepping by `step`, where a plausible chain starts in bytes ending at `end`:
 * CHAIN_RECORDS records whose `lengthAt(q, n)` (the n-th from p, at q) is positive, or fewer when the chain ends
 * early (0: a record that starts something new) or when no whole header of `headerLen` bytes is left (the last
 * record may run past the window: cut by it, or by the end of a truncated file). -1 (implausible) fails p.
 */
function firstChain(from: number, last: number, end: number, step: number, headerLen: number, lengthAt: (q: number, n: number) => number): number {
  for (let p = from; p < last && p + headerLen <= end; p += step) {
    let q = p;
    let n = 0;
    let plausible = true;
    while (n < CHAIN_RECORDS && q + headerLen <= end) {
      const len = lengthAt(q, n);
      if (len === 0) break;
      if (len < 0) {
        plausible = false;
        break;
      }
      q += len;
      n++;
    }
    if (plausible) return p;
  }
  return -1;
}

/** pcapng block types a resync accepts as real (draft-ietf-opsawg-pcapng section 4 and appendix). */
const PCAPNG_TYPES = new Set([0x0a0d0d0a, 0x1, 0x2, 0x3, 0x4, 0x5, 0x6, 0x9, 0xa, 0xbad, 0x40000bad]);
const EPB = 0x6;
const SHB = 0x0a0d0d0a;

/** Length of the pcapng block at b[p..] of a section in byte order `le` with `interfaces` interfaces, or -1 when implausible. */
function blockLength(b: Uint8Array, p: number, end: number, le: boolean, interfaces: number): number {
  const type = u32(b, p, le);
  if (!PCAPNG_TYPES.has(type)) return -1;
  const len = u32(b, p + 4, le);
  if (len < 12 || (len & 3) !== 0 || len > HARD_MAX_RECORD) return -1;
  if (p + len <= end && u32(b, p + len - 4, le) !== len) return -1;
  if (type === EPB) {
    if (len < 32 || p + 28 > end) return len < 32 ? -1 : len;
    const ifid = u32(b, p + 8, le);
    const caplen = u32(b, p + 20, le);
    const origlen = u32(b, p + 24, le);
    if ((interfaces > 0 && ifid >= interfaces) || caplen > len - 32 || caplen > origlen) return -1;
  }
  return len;
}

/**
 * The first offset in b[from, last) (stepping by 4 from `from`, a block-aligned offset) where a plausible chain of pcapng blocks (in b[.., end)) starts: CHAIN_RECORDS
 * blocks whose type is known, whose length is a multiple of 4 repeated in the trailer, and whose packet blocks name
 * an interface of the section; a chain may end early at a section header (a new byte order follows) or when the bytes
 * end. -1 when none does.
 */
export function findPcapngBoundary(b: Uint8Array, from: number, last: number, end: number, le: boolean, interfaces: number): number {
  // Blocks are 4-byte aligned from the start of the file: `from` is such an offset, and so is every candidate.
  return firstChain(from, last, end, 4, 12, (q, n) => (n > 0 && u32(b, q, le) === SHB ? 0 : blockLength(b, q, end, le, interfaces)));
}
