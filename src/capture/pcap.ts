/**
 * Classic libpcap files (draft-ietf-opsawg-pcap): a 24-byte file header, then 16-byte record headers (24 for the
 * "modified" Kuznetzov format) each followed by caplen bytes. Both byte orders, microsecond and nanosecond magics.
 */
import { CaptureFormatError } from '../errors.js';
import { RecordReader, RECORD, NEED_MORE, END, STANDARD_MAX_PACKET, HARD_MAX_RECORD } from './reader.js';
import type { ByteSource } from './source.js';
import { Problems, Problem } from './problems.js';

export const FILE_HEADER_LEN = 24;
export const MAGIC_MICRO = 0xa1b2c3d4;
export const MAGIC_NANO = 0xa1b23c4d;
export const MAGIC_MODIFIED = 0xa1b2cd34;

/** What the file header says, after validation. */
export interface PcapFileHeader {
  littleEndian: boolean;
  nanos: boolean;
  /** Kuznetzov's patched format: 8 more bytes per record header. */
  modified: boolean;
  versionMajor: number;
  versionMinor: number;
  snaplen: number;
  linkType: number;
  /** FCS bytes at the end of each packet (link-type word bits 26 and 28-31, libpcap LT_FCS_LENGTH). */
  fcsLen: number;
  rawLinkField: number;
}

/** True when the first four bytes (read little-endian) are a classic pcap magic in either byte order. */
export function isPcapMagic(le32: number): boolean {
  const be32 = swap32(le32);
  return [MAGIC_MICRO, MAGIC_NANO, MAGIC_MODIFIED].some((m) => m === le32 || m === be32);
}

function swap32(x: number): number {
  return (((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;
}

/** Validate the 24-byte file header at b[0..24); throws CaptureFormatError on anything libpcap would refuse. */
export function parseFileHeader(b: Uint8Array, file: string): PcapFileHeader {
  if (b.length < FILE_HEADER_LEN) {
    throw new CaptureFormatError(file, 0, `pcap file header needs ${FILE_HEADER_LEN} bytes, the file has ${b.length}`);
  }
  const dv = new DataView(b.buffer, b.byteOffset, FILE_HEADER_LEN);
  const le32 = dv.getUint32(0, true);
  const littleEndian = le32 === MAGIC_MICRO || le32 === MAGIC_NANO || le32 === MAGIC_MODIFIED;
  const magic = littleEndian ? le32 : dv.getUint32(0, false);
  const versionMajor = dv.getUint16(4, littleEndian);
  const versionMinor = dv.getUint16(6, littleEndian);
  // libpcap reads major 2 with minor 0..4 (sf-pcap.c); 2.5 and 1.x are refused there and here.
  if (versionMajor !== 2 || versionMinor > 4) {
    throw new CaptureFormatError(file, 4, `unsupported pcap version ${versionMajor}.${versionMinor} (only 2.0-2.4 are defined)`);
  }
  const raw = dv.getUint32(20, littleEndian);
  if ((raw & 0x03ff0000) !== 0) {
    throw new CaptureFormatError(file, 20, `pcap link-type field has reserved bits set (0x${raw.toString(16).padStart(8, '0')})`);
  }
  const fcsPresent = (raw & 0x04000000) !== 0;
  return {
    littleEndian,
    nanos: magic === MAGIC_NANO,
    modified: magic === MAGIC_MODIFIED,
    versionMajor,
    versionMinor,
    snaplen: dv.getUint32(16, littleEndian),
    linkType: raw & 0xffff,
    fcsLen: fcsPresent ? ((raw >>> 28) & 0xf) * 2 : 0,
    rawLinkField: raw,
  };
}

/** Streaming reader of classic pcap records. */
export class PcapReader extends RecordReader {
  readonly format = 'pcap' as const;
  private readonly le: boolean;
  private readonly nanoFactor: number;
  private readonly recHeaderLen: number;
  private readonly maxRecord: number;
  /** libpcap: versions before 2.3 wrote caplen and len swapped; 2.3 sometimes did. */
  private readonly lengthsSwapped: 0 | 1 | 2;

  constructor(
    source: ByteSource,
    file: string,
    problems: Problems,
    readonly header: PcapFileHeader,
    startOffset: number,
    chunkBytes?: number,
  ) {
    super(source, file, problems, startOffset, chunkBytes);
    this.le = header.littleEndian;
    this.nanoFactor = header.nanos ? 1 : 1000;
    this.recHeaderLen = header.modified ? 24 : 16;
    this.linkType = header.linkType;
    this.fcsLen = header.fcsLen;
    const snap = header.snaplen > 0 ? Math.min(header.snaplen, HARD_MAX_RECORD) : 0;
    this.maxRecord = Math.max(STANDARD_MAX_PACKET, snap);
    this.lengthsSwapped = header.versionMinor < 3 ? 1 : header.versionMinor === 3 ? 2 : 0;
  }

  next(): number {
    if (this.stopped) return END;
    const hl = this.recHeaderLen;
    if (!this.want(hl)) {
      if (!this.eof) return NEED_MORE;
      if (this.bytesLeftAtEnd()) return this.truncatedAtEnd(this.offset, 'record header', hl);
      return END;
    }
    const p = this.pos;
    const dv = this.dv;
    const le = this.le;
    let caplen = dv.getUint32(p + 8, le);
    let origlen = dv.getUint32(p + 12, le);
    if (this.lengthsSwapped !== 0 && (this.lengthsSwapped === 1 || caplen > origlen)) {
      const t = caplen;
      caplen = origlen;
      origlen = t;
    }
    if (caplen > this.maxRecord) {
      return this.stop(
        Problem['absurd-length'],
        this.base + p,
        `record claims ${caplen} captured bytes, more than the ${this.maxRecord}-byte limit (snaplen ${this.header.snaplen})`,
      );
    }
    if (!this.want(hl + caplen)) {
      if (!this.eof) return NEED_MORE;
      return this.truncatedAtEnd(this.base + p, 'record', hl + caplen);
    }
    const snap = this.header.snaplen;
    if (caplen > snap && snap > 0) {
      this.problems.add(
        Problem['caplen-exceeds-snaplen'],
        this.base + p,
        this.problems.wantsDetail() ? `captured length ${caplen} exceeds the file's snaplen ${snap}` : null,
      );
    }
    if (caplen > origlen) {
      this.problems.add(
        Problem['caplen-exceeds-origlen'],
        this.base + p,
        this.problems.wantsDetail() ? `captured length ${caplen} exceeds the original length ${origlen}` : null,
      );
    }
    this.recordOffset = this.base + p;
    this.tsSec = dv.getUint32(p, le);
    this.tsNsec = dv.getUint32(p + 4, le) * this.nanoFactor;
    this.caplen = caplen;
    this.origlen = origlen;
    this.dataOff = p + hl;
    this.pos = p + hl + caplen;
    this.records++;
    return RECORD;
  }
}
