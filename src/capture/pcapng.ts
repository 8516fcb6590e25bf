/**
 * pcapng (draft-ietf-opsawg-pcapng): a sequence of sections, each opened by a Section Header Block that fixes its
 * byte order, with Interface Description Blocks and packet blocks (EPB, SPB, obsolete PB). Other blocks (NRB, ISB,
 * DSB, custom, unknown) are skipped by their length.
 */
import { CaptureFormatError } from '../errors.js';
import { RecordReader, RECORD, NEED_MORE, END, HARD_MAX_RECORD } from './reader.js';
import type { ByteSource } from './source.js';
import { Problems, Problem } from './problems.js';
import { addInterface, interfaceColumns, type InterfaceColumns } from './interfaces.js';

export const BlockType = {
  SHB: 0x0a0d0d0a,
  IDB: 0x00000001,
  PB: 0x00000002,
  SPB: 0x00000003,
  NRB: 0x00000004,
  ISB: 0x00000005,
  EPB: 0x00000006,
  JOURNAL: 0x00000009,
  DSB: 0x0000000a,
  CUSTOM: 0x00000bad,
  CUSTOM_NOCOPY: 0x40000bad,
} as const;
export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

export type { PcapngInterface } from './interfaces.js';

/** One section: its byte order, version and interfaces. */
export interface PcapngSection {
  offset: number;
  /** 0-based place of the section in the file. */
  index: number;
  littleEndian: boolean;
  versionMajor: number;
  versionMinor: number;
  /** The interfaces packets may name (IDBs past MAX_INTERFACES are counted in `declaredInterfaces` only). */
  interfaces: InterfaceColumns;
  /** IDBs the section declared. */
  declaredInterfaces: number;
  /** Usable interfaces of the sections before this one, so the file-wide limit is the same for any chunking. */
  interfacesBefore: number;
  hardware: string | null;
  os: string | null;
  userApplication: string | null;
}

/** Most interfaces kept over a whole file (about 24 MiB of columns); further IDBs are a problem, not memory. */
export const MAX_INTERFACES = 1 << 20;
/** Most sections listed (about 300 bytes each); later sections are read all the same. */
export const MAX_SECTIONS_LISTED = 1 << 16;

/** True for the SHB block type (the same in both byte orders). */
export function isPcapngMagic(le32: number): boolean {
  return le32 === BlockType.SHB;
}

/** Versions readers agree on: 1.0, and 1.2 which some old writers put in files that are otherwise 1.0. */
function supportedVersion(major: number, minor: number): boolean {
  return major === 1 && (minor === 0 || minor === 2);
}

/** Smallest section header block: type, length, byte-order magic, version, section length, trailing length. */
export const MIN_SHB_LEN = 28;

/**
 * Check the first section header's fixed 28 bytes and return the block's length, so the caller can read it whole;
 * throws CaptureFormatError when the file has no readable section. `cause` says why the input is short, if known.
 */
export function firstSectionLength(b: Uint8Array, file: string, cause: string | null = null): number {
  const why = cause ? ` (${cause})` : '';
  if (b.length < MIN_SHB_LEN) throw new CaptureFormatError(file, 0, `pcapng section header needs ${MIN_SHB_LEN} bytes, the file has ${b.length}${why}`);
  const dv = new DataView(b.buffer, b.byteOffset, MIN_SHB_LEN);
  const bom = dv.getUint32(8, true);
  let le: boolean;
  if (bom === BYTE_ORDER_MAGIC) le = true;
  else if (dv.getUint32(8, false) === BYTE_ORDER_MAGIC) le = false;
  else throw new CaptureFormatError(file, 8, `pcapng byte-order magic is 0x${bom.toString(16)}, not 0x1a2b3c4d`);
  const major = dv.getUint16(12, le);
  const minor = dv.getUint16(14, le);
  if (!supportedVersion(major, minor)) {
    throw new CaptureFormatError(file, 12, `unsupported pcapng version ${major}.${minor} (only 1.0 is defined)`);
  }
  const len = dv.getUint32(4, le);
  if (len < MIN_SHB_LEN || (len & 3) !== 0) {
    throw new CaptureFormatError(file, 4, `pcapng section header block length ${len} is ${len < MIN_SHB_LEN ? `below ${MIN_SHB_LEN}` : 'not a multiple of 4'}`);
  }
  if (len > HARD_MAX_RECORD) throw new CaptureFormatError(file, 4, `pcapng section header block claims ${len} bytes, more than the ${HARD_MAX_RECORD}-byte limit`);
  return len;
}

const TWO32 = 4294967296;
const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18];

// Long division of the 64-bit value hi:lo by d (d <= 1e9) without BigInt; results in module-level slots.
let qHi = 0;
let qLo = 0;
let qRem = 0;
function div64(hi: number, lo: number, d: number): void {
  const h = Math.floor(hi / d);
  const r = hi - h * d;
  const x = r * 65536 + (lo >>> 16);
  const q1 = Math.floor(x / d);
  const r1 = x - q1 * d;
  const y = r1 * 65536 + (lo & 0xffff);
  const q2 = Math.floor(y / d);
  qHi = h;
  qLo = q1 * 65536 + q2;
  qRem = y - q2 * d;
}

/** Seconds and nanoseconds of a converted timestamp. */
export interface Timestamp {
  sec: number;
  nsec: number;
}
const timestampOut: Timestamp = { sec: 0, nsec: 0 };

/**
 * Convert a 64-bit timestamp hi:lo in units of `tsresol` (if_tsresol: 10^-n, or 2^-n with the high bit set) plus
 * `tsOffset` seconds into `out`, exactly for decimal resolutions up to 10^-18, without BigInt.
 */
export function convertTimestamp(tsresol: number, tsOffset: number, hi: number, lo: number, out: Timestamp): void {
  const r = tsresol;
  if ((r & 0x80) === 0) {
    if (r <= 9) {
      div64(hi, lo, POW10[r]!);
      out.sec = qHi * TWO32 + qLo + tsOffset;
      out.nsec = qRem * POW10[9 - r]!;
    } else if (r <= 18) {
      div64(hi, lo, POW10[r - 9]!);
      div64(qHi, qLo, 1e9);
      out.sec = qHi * TWO32 + qLo + tsOffset;
      out.nsec = qRem;
    } else {
      out.sec = tsOffset;
      out.nsec = 0;
    }
    return;
  }
  const e = r & 0x7f;
  let sec: number;
  let frac: number;
  if (e === 0) {
    sec = hi * TWO32 + lo;
    frac = 0;
  } else if (e < 32) {
    sec = hi * 2 ** (32 - e) + (lo >>> e);
    frac = lo & ((1 << e) - 1);
  } else {
    const div = 2 ** (e - 32);
    sec = Math.floor(hi / div);
    frac = (hi - sec * div) * TWO32 + lo;
  }
  out.sec = sec + tsOffset;
  out.nsec = Math.floor((frac / 2 ** e) * 1e9);
}

/** Streaming reader of pcapng blocks; returns one RECORD per packet block. */
export class PcapngReader extends RecordReader {
  readonly format = 'pcapng' as const;
  readonly sections: PcapngSection[] = [];
  /** Packets seen per interface of the current section (for `info`). */
  section: PcapngSection | null;
  private le = true;
  /** The previous packet's timestamp, which a Simple Packet Block takes (it has none of its own). */
  lastSec = 0;
  lastNsec = 0;
  /** True once an SPB took the timestamp this reader started with (a chunk's inherited one): the chunk depends on it. */
  inheritedTimestamp = false;
  private ownTimestamp = false;

  /** `resume` continues a section already described (a worker's chunk that starts mid-section). */
  constructor(source: ByteSource, file: string, problems: Problems, startOffset = 0, resume: PcapngSection | null = null, chunkBytes?: number) {
    super(source, file, problems, startOffset, chunkBytes);
    this.section = resume;
    if (resume) {
      this.le = resume.littleEndian;
      if (resume.index < MAX_SECTIONS_LISTED) this.sections.push(resume);
    }
  }

  next(): number {
    if (this.stopped) return END;
    for (;;) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, this.end - this.pos);
        this.pos += n;
        this.skip -= n;
        if (this.skip > 0) {
          this.need = 1;
          if (!this.eof) return NEED_MORE;
          return this.truncatedAtEnd(this.offset, 'block', this.skip);
        }
      }
      if (!this.want(12)) {
        if (!this.eof) return NEED_MORE;
        if (this.bytesLeftAtEnd()) return this.truncatedAtEnd(this.offset, 'block header', 12);
        return END;
      }
      const p = this.pos;
      const dv = this.dv;
      const type = dv.getUint32(p, true);
      let le = this.le;
      if (type === BlockType.SHB) {
        const bom = dv.getUint32(p + 8, true);
        if (bom === BYTE_ORDER_MAGIC) le = true;
        else if (dv.getUint32(p + 8, false) === BYTE_ORDER_MAGIC) le = false;
        else return this.stop(Problem['unsupported-section'], this.base + p, `section header byte-order magic 0x${bom.toString(16)} is not 0x1a2b3c4d`);
      } else if (this.section === null) {
        return this.stop(Problem['unsupported-section'], this.base + p, `block type 0x${type.toString(16)} before any section header`);
      }
      const blockType = le ? type : dv.getUint32(p, false);
      const len = dv.getUint32(p + 4, le);
      if (len < 12 || (len & 3) !== 0) {
        return this.stop(Problem['bad-block-length'], this.base + p, `block length ${len} is ${len < 12 ? 'below 12' : 'not a multiple of 4'}`);
      }
      if (blockType === BlockType.SHB && len < 28) {
        return this.stop(Problem['bad-block-length'], this.base + p, `section header block of ${len} bytes is below 28`);
      }
      const isPacket = blockType === BlockType.EPB || blockType === BlockType.SPB || blockType === BlockType.PB;
      if (len > HARD_MAX_RECORD) {
        if (isPacket || blockType === BlockType.SHB || blockType === BlockType.IDB) {
          return this.stop(Problem['absurd-length'], this.base + p, `block claims ${len} bytes, more than the ${HARD_MAX_RECORD}-byte limit`);
        }
        const rest = this.source.remaining();
        if (rest >= 0 && this.end - p + rest < len) return this.truncatedAtEnd(this.base + p, 'block', len);
        this.skip = len;
        this.skipFrom = this.base + p;
        this.skipTo = this.base + p + len;
        continue;
      }
      if (!this.want(len)) {
        if (!this.eof) return NEED_MORE;
        return this.truncatedAtEnd(this.base + p, 'block', len);
      }
      const trailer = dv.getUint32(p + len - 4, le);
      if (trailer !== len) {
        this.problems.add(
          Problem['bad-block-trailer'],
          this.base + p + len - 4,
          this.problems.wantsDetail() ? `block trailer says ${trailer}, header says ${len}` : null,
        );
      }
      this.pos = p + len;
      if (blockType === BlockType.SHB) {
        const major = dv.getUint16(p + 12, le);
        const minor = dv.getUint16(p + 14, le);
        if (!supportedVersion(major, minor)) {
          this.pos = p;
          return this.stop(Problem['unsupported-section'], this.base + p, `section header version ${major}.${minor} is not 1.0`);
        }
        this.le = le;
        const prev = this.section;
        const s: PcapngSection = {
          offset: this.base + p,
          index: prev ? prev.index + 1 : 0,
          littleEndian: le,
          versionMajor: major,
          versionMinor: minor,
          interfaces: interfaceColumns(),
          declaredInterfaces: 0,
          interfacesBefore: prev ? prev.interfacesBefore + prev.interfaces.count : 0,
          hardware: null,
          os: null,
          userApplication: null,
        };
        this.readOptions(p, p + 24, p + len - 4, (code, o, l) => {
          if (code === 2) s.hardware = this.text(o, l);
          else if (code === 3) s.os = this.text(o, l);
          else if (code === 4) s.userApplication = this.text(o, l);
        });
        this.section = s;
        if (s.index < MAX_SECTIONS_LISTED) this.sections.push(s);
        else if (s.index === MAX_SECTIONS_LISTED) {
          this.problems.add(Problem['too-many-sections'], s.offset, `more than ${MAX_SECTIONS_LISTED} sections: the later ones are read but not listed`);
        }
        continue;
      }
      if (blockType === BlockType.IDB) {
        if (len < 20) {
          this.problems.add(Problem['bad-block-length'], this.base + p, `interface description block of ${len} bytes is below 20`);
          continue;
        }
        const sec = this.section!;
        sec.declaredInterfaces++;
        if (sec.interfacesBefore + sec.interfaces.count >= MAX_INTERFACES) {
          const detail = this.problems.wantsDetail() ? `interface ${sec.declaredInterfaces - 1} is past the limit of ${MAX_INTERFACES} interfaces in a file; its packets are not read` : null;
          this.problems.add(Problem['too-many-interfaces'], this.base + p, detail);
          continue;
        }
        const iface = { linkType: dv.getUint16(p + 8, le), snaplen: dv.getUint32(p + 12, le), tsresol: 6, tsOffset: 0, fcsLen: 0, name: null as string | null, description: null as string | null };
        this.readOptions(p, p + 16, p + len - 4, (code, o, l) => {
          if (code === 9 && l >= 1) iface.tsresol = this.buf[o]!;
          else if (code === 14 && l >= 8) iface.tsOffset = this.dv.getInt32(o + (le ? 4 : 0), le) * TWO32 + this.dv.getUint32(o + (le ? 0 : 4), le);
          else if (code === 13 && l >= 1) iface.fcsLen = this.buf[o]!;
          else if (code === 2) iface.name = this.text(o, l);
          else if (code === 3) iface.description = this.text(o, l);
        });
        addInterface(sec.interfaces, iface);
        continue;
      }
      if (!isPacket) continue;
      if (this.packetBlock(blockType, p, len, le)) return RECORD;
    }
  }

  /** Fill the record fields from a packet block; false when the block is skipped as a problem. */
  private packetBlock(blockType: number, p: number, len: number, le: boolean): boolean {
    const dv = this.dv;
    const interfaces = this.section!.interfaces;
    let ifIndex: number;
    let caplen: number;
    let origlen: number;
    let dataOff: number;
    if (blockType === BlockType.SPB) {
      if (len < 16) return this.badPacketBlock(p, `simple packet block of ${len} bytes is below 16`);
      ifIndex = 0;
      origlen = dv.getUint32(p + 8, le);
      dataOff = p + 12;
      caplen = Math.min(origlen, len - 16);
    } else {
      if (len < 32) return this.badPacketBlock(p, `packet block of ${len} bytes is below 32`);
      ifIndex = blockType === BlockType.EPB ? dv.getUint32(p + 8, le) : dv.getUint16(p + 8, le);
      caplen = dv.getUint32(p + 20, le);
      origlen = dv.getUint32(p + 24, le);
      dataOff = p + 28;
      if (caplen > len - 32) return this.badPacketBlock(p, `captured length ${caplen} does not fit in a ${len}-byte block`);
    }
    if (ifIndex >= interfaces.count) {
      const declared = this.section!.declaredInterfaces;
      this.problems.add(
        Problem['unknown-interface'],
        this.base + p,
        this.problems.wantsDetail() ? `packet names interface ${ifIndex}, the section has ${declared}${declared > interfaces.count ? ` (${interfaces.count} within the limit)` : ''}` : null,
      );
      return false;
    }
    const snap = interfaces.snaplen[ifIndex]!;
    if (blockType === BlockType.SPB) {
      if (snap > 0 && caplen > snap) caplen = snap;
      // An SPB has no timestamp; it inherits the previous packet's so time stays monotonic.
      this.tsSec = this.lastSec;
      this.tsNsec = this.lastNsec;
      if (!this.ownTimestamp) this.inheritedTimestamp = true;
    } else {
      this.ownTimestamp = true;
      convertTimestamp(interfaces.tsresol[ifIndex]!, interfaces.tsOffset[ifIndex]!, dv.getUint32(p + 12, le), dv.getUint32(p + 16, le), timestampOut);
      this.tsSec = timestampOut.sec;
      this.tsNsec = timestampOut.nsec;
    }
    if (snap > 0 && caplen > snap) {
      this.problems.add(
        Problem['caplen-exceeds-snaplen'],
        this.base + p,
        this.problems.wantsDetail() ? `captured length ${caplen} exceeds interface ${ifIndex}'s snaplen ${snap}` : null,
      );
    }
    if (caplen > origlen && blockType !== BlockType.SPB) {
      this.problems.add(
        Problem['caplen-exceeds-origlen'],
        this.base + p,
        this.problems.wantsDetail() ? `captured length ${caplen} exceeds the original length ${origlen}` : null,
      );
    }
    this.recordOffset = this.base + p;
    this.ifIndex = ifIndex;
    this.linkType = interfaces.linkType[ifIndex]!;
    this.fcsLen = interfaces.fcsLen[ifIndex]!;
    this.caplen = caplen;
    this.origlen = origlen;
    this.dataOff = dataOff;
    this.lastSec = this.tsSec;
    this.lastNsec = this.tsNsec;
    interfaces.packets[ifIndex]!++;
    this.records++;
    return true;
  }

  private badPacketBlock(p: number, message: string): boolean {
    this.problems.add(Problem['bad-block-length'], this.base + p, this.problems.wantsDetail() ? message : null);
    return false;
  }

  /** Walk the TLV options in [o, end), calling `on` for each; a malformed list is a problem, not an exception. */
  private readOptions(blockStart: number, o: number, end: number, on: (code: number, off: number, len: number) => void): void {
    const dv = this.dv;
    const le = this.le;
    let q = o;
    while (q + 4 <= end) {
      const code = dv.getUint16(q, le);
      const l = dv.getUint16(q + 2, le);
      if (code === 0) return;
      if (q + 4 + l > end) {
        this.problems.add(
          Problem['bad-option'],
          this.base + q,
          this.problems.wantsDetail()
            ? `option ${code} claims ${l} bytes, only ${end - q - 4} remain in the block at ${this.base + blockStart}`
            : null,
        );
        return;
      }
      on(code, q + 4, l);
      q += 4 + ((l + 3) & ~3);
    }
  }

  private text(o: number, l: number): string {
    let e = o + l;
    while (e > o && this.buf[e - 1] === 0) e--;
    return Buffer.from(this.buf.buffer, this.buf.byteOffset + o, e - o).toString('utf8');
  }
}
