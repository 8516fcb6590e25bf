/**
 * The record reader's buffer machinery, shared by the pcap and pcapng readers: one reused buffer, refilled from a
 * ByteSource; a record straddling the buffer end is moved to the front; the buffer grows only up to a bound.
 */
import type { ByteSource } from './source.js';
import { Problems, Problem } from './problems.js';

/** next() results. */
export const RECORD = 1;
export const NEED_MORE = 0;
export const END = -1;

/** Default read size: large enough to amortise syscalls, small enough to stay in L2/L3 while decoding. */
export const DEFAULT_CHUNK_BYTES = 1 << 20;
/** Wireshark's standard maximum packet size (WTAP_MAX_PACKET_SIZE_STANDARD). */
export const STANDARD_MAX_PACKET = 262_144;
/** No record or block we buffer may exceed this, whatever a header claims. */
export const HARD_MAX_RECORD = 16 << 20;

/** Which capture format a reader parses. */
export type CaptureFormat = 'pcap' | 'pcapng';

/** Per-record output fields, overwritten by every next() that returns RECORD (no object per record). */
export abstract class RecordReader {
  buf: Uint8Array;
  protected dv: DataView;
  /** Read position and end of valid bytes in buf. */
  protected pos = 0;
  protected end = 0;
  /** File offset of buf[0]. */
  protected base: number;
  protected eof = false;
  /** Bytes wanted at pos before next() can go on. */
  protected need = 0;
  /** Bytes to discard (a large block we do not buffer). */
  protected skip = 0;
  /**
   * The block being skipped by its length (a non-packet pcapng block over HARD_MAX_RECORD): its file offsets, so a
   * caller streaming the input (stdin) can drop its bytes instead of holding them. -1 when none was.
   */
  skipFrom = -1;
  skipTo = -1;
  protected stopped = false;

  /** File offset where the current record (pcap record header, pcapng block) starts. */
  recordOffset = 0;
  /** Offset in `buf` of the packet's first byte. */
  dataOff = 0;
  caplen = 0;
  origlen = 0;
  tsSec = 0;
  tsNsec = 0;
  linkType = 0;
  ifIndex = 0;
  /** Trailing FCS bytes included in caplen (pcap FCS bits, pcapng if_fcslen). */
  fcsLen = 0;
  /** Records returned so far. */
  records = 0;

  constructor(
    protected readonly source: ByteSource,
    readonly file: string,
    readonly problems: Problems,
    startOffset: number,
    chunkBytes = DEFAULT_CHUNK_BYTES,
  ) {
    this.buf = new Uint8Array(chunkBytes);
    this.dv = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    this.base = startOffset;
  }

  abstract readonly format: CaptureFormat;

  /** Advance to the next record: RECORD, NEED_MORE (call refill()), or END. */
  abstract next(): number;

  /** File offset of the current record's first packet byte. */
  get dataFileOffset(): number {
    return this.base + this.dataOff;
  }

  /** File offset of the first byte not yet consumed. */
  get offset(): number {
    return this.base + this.pos;
  }

  /** True once a problem stopped the reader before the end of input. */
  get stoppedEarly(): boolean {
    return this.stopped;
  }

  /** Bytes known to remain after the buffered ones, -1 when unknown. */
  protected remainingAfterBuffer(): number {
    return this.source.remaining();
  }

  /** Ask for `n` bytes at pos; false when they are not buffered yet (next() then returns NEED_MORE or END). */
  protected want(n: number): boolean {
    if (this.end - this.pos >= n) return true;
    this.need = n;
    return false;
  }

  /**
   * Make room and read until `need` bytes are buffered at pos, or the input ends. Returns the number of bytes
   * buffered after pos (a promise for stream sources).
   */
  refill(): number | Promise<number> {
    if (this.eof) return this.end - this.pos;
    const need = this.need;
    const avail = this.end - this.pos;
    // A claimed length past the end of a file of known size: do not grow, let next() report truncation.
    const rest = this.remainingAfterBuffer();
    if (rest >= 0 && avail + rest < need) {
      this.eof = true;
      return avail;
    }
    if (need > this.buf.length) this.grow(need);
    this.compact();
    return this.fillLoop(need);
  }

  private compact(): void {
    if (this.pos === 0) return;
    this.buf.copyWithin(0, this.pos, this.end);
    this.base += this.pos;
    this.end -= this.pos;
    this.pos = 0;
  }

  private grow(n: number): void {
    let size = this.buf.length;
    while (size < n) size *= 2;
    const next = new Uint8Array(Math.min(size, HARD_MAX_RECORD + (1 << 16)));
    next.set(this.buf.subarray(this.pos, this.end));
    this.base += this.pos;
    this.end -= this.pos;
    this.pos = 0;
    this.buf = next;
    this.dv = new DataView(next.buffer, next.byteOffset, next.byteLength);
  }

  private fillLoop(target: number): number | Promise<number> {
    while (this.end < this.buf.length) {
      const r = this.source.read(this.buf, this.end, this.buf.length - this.end);
      if (typeof r !== 'number') return r.then((n) => this.afterAsyncRead(n, target));
      if (r === 0) {
        this.eof = true;
        break;
      }
      this.end += r;
      if (this.end - this.pos >= target) break;
    }
    return this.end - this.pos;
  }

  private afterAsyncRead(n: number, target: number): number | Promise<number> {
    if (n === 0) {
      this.eof = true;
      return this.end - this.pos;
    }
    this.end += n;
    if (this.end - this.pos >= target) return this.end - this.pos;
    return this.fillLoop(target);
  }

  /** True when bytes remain at the end of input that do not make a whole record (buffered, or known to be left unread). */
  protected bytesLeftAtEnd(): boolean {
    return this.end > this.pos || this.source.remaining() > 0;
  }

  /** Report a record cut short by the end of input, at `offset`, and stop. */
  protected truncatedAtEnd(offset: number, what: string, claimed: number): number {
    const have = this.end - this.pos + Math.max(0, this.source.remaining());
    if (this.problems.wantsDetail()) {
      this.problems.add(Problem['truncated-record'], offset, `${what} claims ${claimed} bytes but the input ends after ${have}`);
    } else this.problems.add(Problem['truncated-record'], offset, null);
    this.pos = this.end;
    this.stopped = true;
    return END;
  }

  /** Record a problem that makes the rest of the input unreadable, and stop. */
  protected stop(kind: number, offset: number, message: string): number {
    this.problems.add(kind, offset, this.problems.wantsDetail() ? message : null);
    this.stopped = true;
    return END;
  }

  close(): void {
    this.source.close();
  }
}
