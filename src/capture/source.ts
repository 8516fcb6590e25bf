/** Byte sources a capture is read from: a file range (synchronous pread), a byte array, or a stream (stdin, gunzip). */
import { openSync, readSync, closeSync, fstatSync } from 'node:fs';
import { Readable } from 'node:stream';
import { AclReplayError, IoError } from '../errors.js';

/** Something we pull bytes from into a caller's buffer. Synchronous where the OS allows it. */
export interface ByteSource {
  /** Read up to `len` bytes into `buf` at `off`; resolves to 0 at the end. */
  read(buf: Uint8Array, off: number, len: number): number | Promise<number>;
  /** Bytes from the current position to the end, or -1 when unknown (streams). */
  remaining(): number;
  close(): void;
}

/** A byte range [start, end) of a file, read with positioned reads. */
export class FileSource implements ByteSource {
  private position: number;
  private readonly end: number;
  private fd: number;

  constructor(fd: number, start: number, end: number, private readonly name = '') {
    this.fd = fd;
    this.position = start;
    this.end = end;
  }

  /** Open `path` for the byte range [start, end); end defaults to the file size. */
  static open(path: string, start = 0, end = -1): FileSource {
    const fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    return new FileSource(fd, start, end < 0 ? size : Math.min(end, size), path);
  }

  read(buf: Uint8Array, off: number, len: number): number {
    const want = Math.min(len, this.end - this.position);
    if (want <= 0) return 0;
    let n: number;
    try {
      n = readSync(this.fd, buf, off, want, this.position);
    } catch (e) {
      throw new IoError(this.name, `read error at offset ${this.position}: ${(e as Error).message}`);
    }
    this.position += n;
    return n;
  }

  remaining(): number {
    return this.end - this.position;
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

/** Bytes already in memory (a chunk handed to a worker, a test fixture). */
export class BufferSource implements ByteSource {
  private position = 0;
  /**
   * `length`, when larger than the bytes, is what the range really held (a block whose bytes were dropped while
   * streaming): remaining() counts it, so a truncation message reports the true size.
   */
  constructor(
    private readonly bytes: Uint8Array,
    private readonly length = bytes.length,
  ) {}

  read(buf: Uint8Array, off: number, len: number): number {
    const n = Math.min(len, this.bytes.length - this.position);
    if (n <= 0) return 0;
    buf.set(this.bytes.subarray(this.position, this.position + n), off);
    this.position += n;
    return n;
  }

  remaining(): number {
    return Math.max(0, this.length - this.position);
  }

  close(): void {}
}

/** A Node readable stream (stdin, a gunzip stream): chunks are copied out as the reader asks for them. */
export class StreamSource implements ByteSource {
  private readonly iterator: AsyncIterator<Buffer>;
  private pending: Uint8Array | null = null;
  private pendingPos = 0;
  private done = false;
  /** Bytes handed out so far. */
  consumed = 0;
  /**
   * Called once when the stream fails (corrupt gzip); the source then reads as ended. Without one, a failure is an
   * IoError naming the stream and how far it got.
   */
  onError: ((err: Error, consumed: number) => void) | null = null;

  constructor(
    private readonly stream: Readable,
    private readonly name = '-',
  ) {
    this.iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  read(buf: Uint8Array, off: number, len: number): number | Promise<number> {
    if (this.pending) return this.copyPending(buf, off, len);
    if (this.done) return 0;
    return this.iterator.next().then(
      (r) => {
        if (r.done) {
          this.done = true;
          return 0;
        }
        this.pending = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
        this.pendingPos = 0;
        return this.copyPending(buf, off, len);
      },
      (err: Error) => {
        this.done = true;
        // Our own errors (a read error under a gunzip stream) keep their meaning; onError is for stream failures.
        if (err instanceof AclReplayError) throw err;
        if (this.onError) this.onError(err, this.consumed);
        else throw new IoError(this.name, `read error after ${this.consumed} bytes: ${err.message}`);
        return 0;
      },
    );
  }

  private copyPending(buf: Uint8Array, off: number, len: number): number {
    const p = this.pending!;
    const n = Math.min(len, p.length - this.pendingPos);
    buf.set(p.subarray(this.pendingPos, this.pendingPos + n), off);
    this.pendingPos += n;
    this.consumed += n;
    if (this.pendingPos >= p.length) this.pending = null;
    return n;
  }

  remaining(): number {
    return -1;
  }

  close(): void {
    this.stream.destroy();
  }
}

/** Replays `prefix` (bytes already read to sniff the format) before the rest of `inner`. */
export class PrefixedSource implements ByteSource {
  private prefixPos = 0;
  constructor(
    private readonly prefix: Uint8Array,
    private readonly inner: ByteSource,
  ) {}

  read(buf: Uint8Array, off: number, len: number): number | Promise<number> {
    if (this.prefixPos < this.prefix.length) {
      const n = Math.min(len, this.prefix.length - this.prefixPos);
      buf.set(this.prefix.subarray(this.prefixPos, this.prefixPos + n), off);
      this.prefixPos += n;
      return n;
    }
    return this.inner.read(buf, off, len);
  }

  remaining(): number {
    const r = this.inner.remaining();
    return r < 0 ? -1 : r + this.prefix.length - this.prefixPos;
  }

  close(): void {
    this.inner.close();
  }
}

/** A Readable over what is left of `source`, after `prefix` (bytes already taken from it to sniff the format). */
export function toReadable(prefix: Uint8Array, source: ByteSource): Readable {
  async function* chunks(): AsyncGenerator<Uint8Array> {
    if (prefix.length) yield prefix;
    for (;;) {
      const b = new Uint8Array(1 << 16);
      const r = source.read(b, 0, b.length);
      const n = typeof r === 'number' ? r : await r;
      if (n === 0) return;
      yield b.subarray(0, n);
    }
  }
  return Readable.from(chunks(), { objectMode: false });
}

/** Passes reads through and keeps every byte read since the last cut, so they can be handed on in chunks. */
export class TeeSource implements ByteSource {
  private kept = new Uint8Array(1 << 20);
  private keptLen = 0;
  /** Stream offset of kept[0]. */
  private keptStart = 0;
  /** Bytes read from the inner source so far. */
  total = 0;

  constructor(private readonly inner: ByteSource) {}

  read(buf: Uint8Array, off: number, len: number): number | Promise<number> {
    const r = this.inner.read(buf, off, len);
    if (typeof r === 'number') return this.keep(buf, off, r);
    return r.then((n) => this.keep(buf, off, n));
  }

  /** Stream offset below which bytes are dropped instead of kept (see discardUntil). */
  private discardTo = 0;

  private keep(buf: Uint8Array, off: number, n: number): number {
    if (n > 0 && this.total < this.discardTo) {
      // Bytes of a skipped block: counted, not kept.
      const drop = Math.min(n, this.discardTo - this.total);
      this.total += drop;
      this.keptStart += drop;
      if (drop === n) return n;
      this.keepBytes(buf, off + drop, n - drop);
      return n;
    }
    this.keepBytes(buf, off, n);
    return n;
  }

  /**
   * Drop what is kept from the last cut up to stream offset `end`, and the bytes still to come below it: the walk
   * found a block it skips, which no chunk needs. The next cut starts at `end`.
   */
  discardUntil(end: number): void {
    const have = Math.min(end - this.keptStart, this.keptLen);
    if (have > 0) {
      this.kept.copyWithin(0, have, this.keptLen);
      this.keptLen -= have;
      this.keptStart += have;
    }
    this.discardTo = end;
    if (this.keptStart < end && this.keptLen === 0 && this.total >= end) this.keptStart = end;
  }

  private keepBytes(buf: Uint8Array, off: number, n: number): void {
    if (n > 0) {
      if (this.keptLen + n > this.kept.length) {
        let size = this.kept.length * 2;
        while (size < this.keptLen + n) size *= 2;
        const next = new Uint8Array(size);
        next.set(this.kept.subarray(0, this.keptLen));
        this.kept = next;
      }
      this.kept.set(buf.subarray(off, off + n), this.keptLen);
      this.keptLen += n;
      this.total += n;
    }
  }

  /**
   * A copy of the stream bytes [start, end), dropping from memory what lies before `keepFrom` (default `end`; later,
   * the bytes a later chunk's look back may still want, see src/pass/lookback.ts).
   */
  cut(start: number, end: number, keepFrom = end): Uint8Array {
    const out = this.slice(start, end);
    const drop = Math.min(keepFrom, end) - this.keptStart;
    if (drop > 0) {
      this.kept.copyWithin(0, drop, this.keptLen);
      this.keptLen -= drop;
      this.keptStart += drop;
    }
    return out;
  }

  /** A copy of kept stream bytes [start, end). */
  slice(start: number, end: number): Uint8Array {
    if (start < this.keptStart || end > this.keptStart + this.keptLen || end < start) throw new Error(`tee cut [${start}, ${end}) outside kept [${this.keptStart}, ${this.keptStart + this.keptLen})`);
    return this.kept.slice(start - this.keptStart, end - this.keptStart);
  }

  remaining(): number {
    return this.inner.remaining();
  }

  close(): void {
    this.inner.close();
  }
}
