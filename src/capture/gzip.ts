/**
 * gzip (RFC 1952) read as a ByteSource: the member framing (header, CRC-32 and size trailer, further members) is
 * parsed here and only the deflate data goes through zlib's raw inflater. Node's gunzip drops the output of the
 * zlib call that fails, so trailing garbage, a bad CRC or a wrong size cost the last 16 KiB of data; here every
 * byte zlib decompressed is handed on first, then the failure is reported once with its offsets. A corrupt deflate
 * block still loses what that one zlib call produced (at most one 16 KiB output chunk).
 */
import zlib, { type InflateRaw } from 'node:zlib';
import type { ByteSource } from './source.js';

/** How a gzip stream failed: the message and the decompressed offset where its data ends. */
export type GzipFailure = (message: string, decompressedOffset: number) => void;

const ID1 = 0x1f;
const ID2 = 0x8b;
const CM_DEFLATE = 8;
const FHCRC = 0x02;
const FEXTRA = 0x04;
const FNAME = 0x08;
const FCOMMENT = 0x10;
const FRESERVED = 0xe0;
/** Compressed bytes handed to zlib per call: bounds the output one call queues (deflate expands at most ~1032x). */
const SLICE = 16 << 10;
/** Output queued beyond this pauses the inflater until the reader catches up. */
const QUEUE_HIGH = 4 << 20;

type State = 'header' | 'body' | 'trailer' | 'done';

/** A gzip stream over `inner`, decompressed; failures go to `onFailure` and the source then reads as ended. */
export class GunzipSource implements ByteSource {
  private readonly input = new Uint8Array(1 << 16);
  private inPos = 0;
  private inEnd = 0;
  private innerDone = false;
  /** Compressed offset of input[0]. */
  private inBase = 0;
  private state: State = 'header';
  private members = 0;
  private memberStart = 0;
  private inflater: InflateRaw | null = null;
  private inflaterError: Error | null = null;
  private crc = 0;
  private size = 0;
  private readonly queue: Buffer[] = [];
  private queuePos = 0;
  private queued = 0;
  private wake: (() => void) | null = null;
  /** The slice being inflated: how much input it holds, bytesWritten before it, and whether zlib is done with it. */
  private pending: { length: number; before: number; done: boolean } | null = null;
  /** Decompressed bytes produced so far. */
  produced = 0;
  /** The first failure, once there is one. */
  failure: string | null = null;

  constructor(
    private readonly inner: ByteSource,
    private readonly onFailure: GzipFailure,
  ) {}

  read(buf: Uint8Array, off: number, len: number): number | Promise<number> {
    if (this.queued > 0) return this.take(buf, off, len);
    if (this.state === 'done') return 0;
    return this.produce().then(() => (this.queued > 0 ? this.take(buf, off, len) : 0));
  }

  remaining(): number {
    return -1;
  }

  close(): void {
    this.inflater?.destroy();
    this.inflater = null;
    this.state = 'done';
    this.inner.close();
  }

  private take(buf: Uint8Array, off: number, len: number): number {
    let n = 0;
    while (n < len && this.queue.length > 0) {
      const head = this.queue[0]!;
      const k = Math.min(len - n, head.length - this.queuePos);
      buf.set(head.subarray(this.queuePos, this.queuePos + k), off + n);
      n += k;
      this.queuePos += k;
      if (this.queuePos === head.length) {
        this.queue.shift();
        this.queuePos = 0;
      }
    }
    this.queued -= n;
    if (this.queued < QUEUE_HIGH / 2 && this.inflater?.isPaused()) this.inflater.resume();
    return n;
  }

  private async produce(): Promise<void> {
    while (this.queued === 0 && this.state !== 'done') {
      if (this.state === 'header') await this.header();
      else if (this.state === 'body') await this.body();
      else await this.trailer();
    }
  }

  private fail(message: string, compressedOffset: number): void {
    this.state = 'done';
    this.inflater?.destroy();
    this.inflater = null;
    if (this.failure !== null) return;
    this.failure = `gzip stream ends in error after ${this.produced} decompressed bytes: ${message} (compressed offset ${compressedOffset})`;
    this.onFailure(this.failure, this.produced);
  }

  /** Have at least `n` compressed bytes buffered (fewer only at the end of the input); returns how many are. */
  private async fillInput(n: number): Promise<number> {
    while (this.inEnd - this.inPos < n && !this.innerDone) {
      if (this.inPos > 0) {
        this.input.copyWithin(0, this.inPos, this.inEnd);
        this.inBase += this.inPos;
        this.inEnd -= this.inPos;
        this.inPos = 0;
      }
      const r = this.inner.read(this.input, this.inEnd, this.input.length - this.inEnd);
      const k = typeof r === 'number' ? r : await r;
      if (k === 0) this.innerDone = true;
      this.inEnd += k;
    }
    return this.inEnd - this.inPos;
  }

  private get offset(): number {
    return this.inBase + this.inPos;
  }

  /** Skip `n` header bytes; false when the input ends first. */
  private async skip(n: number): Promise<boolean> {
    while (n > 0) {
      const have = await this.fillInput(1);
      if (have === 0) return false;
      const k = Math.min(n, have);
      this.inPos += k;
      n -= k;
    }
    return true;
  }

  /** Skip a zero-terminated header field (FNAME, FCOMMENT) without keeping it; false when the input ends first. */
  private async skipZeroTerminated(): Promise<boolean> {
    for (;;) {
      if ((await this.fillInput(1)) === 0) return false;
      const z = this.input.indexOf(0, this.inPos);
      if (z >= 0 && z < this.inEnd) {
        this.inPos = z + 1;
        return true;
      }
      this.inPos = this.inEnd;
    }
  }

  private async header(): Promise<void> {
    const at = this.offset;
    const have = await this.fillInput(10);
    if (have === 0 && this.members > 0) {
      this.state = 'done';
      return;
    }
    const b = this.input;
    const p = this.inPos;
    if (this.members > 0 && !(b[p] === ID1 && (have < 2 || b[p + 1] === ID2))) {
      // After the last member: zero padding is allowed (gzip accepts it), anything else is not gzip.
      for (;;) {
        const n = await this.fillInput(1);
        if (n === 0) {
          this.state = 'done';
          return;
        }
        let i = this.inPos;
        while (i < this.inEnd && b[i] === 0) i++;
        if (i < this.inEnd) return this.fail('the data after the last gzip member is not gzip (ignored)', this.inBase + i);
        this.inPos = i;
      }
    }
    if (have < 10) return this.fail(`the input ends inside a gzip member header`, at);
    if (b[p] !== ID1 || b[p + 1] !== ID2) return this.fail('not a gzip member header', at);
    if (b[p + 2] !== CM_DEFLATE) return this.fail(`compression method ${b[p + 2]} is not deflate (8)`, at + 2);
    const flags = b[p + 3]!;
    if ((flags & FRESERVED) !== 0) return this.fail(`reserved header flags set (0x${flags.toString(16)})`, at + 3);
    this.inPos += 10;
    if (flags & FEXTRA) {
      if ((await this.fillInput(2)) < 2) return this.fail('the input ends inside a gzip member header', at);
      const xlen = b[this.inPos]! | (b[this.inPos + 1]! << 8);
      this.inPos += 2;
      if (!(await this.skip(xlen))) return this.fail('the input ends inside a gzip member header', at);
    }
    if (flags & FNAME && !(await this.skipZeroTerminated())) return this.fail('the input ends inside a gzip member header', at);
    if (flags & FCOMMENT && !(await this.skipZeroTerminated())) return this.fail('the input ends inside a gzip member header', at);
    if (flags & FHCRC && !(await this.skip(2))) return this.fail('the input ends inside a gzip member header', at);
    this.members++;
    this.memberStart = at;
    this.crc = 0;
    this.size = 0;
    this.inflaterError = null;
    const inflater = zlib.createInflateRaw();
    inflater.on('data', (chunk: Buffer) => {
      this.queue.push(chunk);
      this.queued += chunk.length;
      this.produced += chunk.length;
      this.size = (this.size + chunk.length) % 4294967296;
      this.crc = crc32(chunk, this.crc);
      if (this.queued >= QUEUE_HIGH) {
        // Let the reader take it; zlib waits (and so does the slice's write) until take() resumes it.
        inflater.pause();
        this.wakeUp();
      }
    });
    inflater.on('error', (err: Error) => {
      this.inflaterError = err;
      this.wakeUp();
    });
    this.inflater = inflater;
    this.state = 'body';
  }

  private wakeUp(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  /** Feed one slice of compressed input to the inflater and wait until zlib is done with it (or output must be taken). */
  private async body(): Promise<void> {
    const inflater = this.inflater!;
    if (this.pending === null) {
      const have = await this.fillInput(1);
      if (have === 0) {
        // The input ends inside the deflate data: flush what the data allows, then say why it stopped.
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          inflater.once('end', resolve);
          inflater.end();
        });
        return this.fail(this.inflaterError ? `${this.inflaterError.message}: the input ends inside the compressed data` : 'the input ends before the member trailer', this.offset);
      }
      const slice = Buffer.from(this.input.subarray(this.inPos, this.inPos + Math.min(have, SLICE)));
      const pending = { length: slice.length, before: inflater.bytesWritten, done: false };
      this.pending = pending;
      inflater.write(slice, () => {
        pending.done = true;
        this.wakeUp();
      });
    }
    const pending = this.pending;
    if (!pending.done && this.inflaterError === null) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
    if (this.inflaterError) {
      this.pending = null;
      return this.fail(this.inflaterError.message, this.offset);
    }
    if (!pending.done) return; // output to take first
    this.pending = null;
    const used = inflater.bytesWritten - pending.before;
    this.inPos += used;
    // zlib stops taking input at the end of the deflate data; what is left is the trailer.
    if (used < pending.length) {
      inflater.removeAllListeners('error');
      inflater.on('error', () => {});
      inflater.destroy();
      this.inflater = null;
      this.state = 'trailer';
    }
  }

  private async trailer(): Promise<void> {
    const at = this.offset;
    if ((await this.fillInput(8)) < 8) return this.fail(`the input ends inside the trailer of the member at compressed offset ${this.memberStart}`, at);
    const b = this.input;
    const p = this.inPos;
    const crc = (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
    const size = (b[p + 4]! | (b[p + 5]! << 8) | (b[p + 6]! << 16) | (b[p + 7]! << 24)) >>> 0;
    this.inPos += 8;
    if (crc !== this.crc >>> 0) return this.fail(`CRC-32 of the data is 0x${(this.crc >>> 0).toString(16).padStart(8, '0')}, the trailer says 0x${crc.toString(16).padStart(8, '0')} (the data is corrupt)`, at);
    if (size !== this.size) return this.fail(`the data is ${this.size} bytes (mod 2^32), the trailer says ${size}`, at + 4);
    this.state = 'header';
  }
}

/** CRC-32 (ISO 3309, as gzip uses it) of `data` continuing from `crc`: zlib's when Node has it, else a table. */
function crc32(data: Uint8Array, crc: number): number {
  if (nativeCrc32) return nativeCrc32(data, crc);
  let c = ~crc >>> 0;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

const nativeCrc32 = (zlib as unknown as { crc32?: (data: Uint8Array, value: number) => number }).crc32;

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();
