/**
 * Output written as bytes: records are assembled in one reusable buffer (integers as digits, words and addresses as
 * pre-encoded ASCII) and handed on in chunks, so streaming a quarter million records builds no string per field.
 * Measured on the 2 M-packet bench capture (`flows -F tsv`): see src/report/flows.ts.
 */

/** Text that is ASCII (addresses, protocol and state words, JSON punctuation) as bytes. */
export function ascii(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}

/** A growable byte buffer that yields its contents in chunks of about `chunk` bytes. */
export class ByteOutput {
  private buf: Uint8Array;
  pos = 0;

  constructor(readonly chunk = 1 << 20) {
    this.buf = new Uint8Array(chunk + 4096);
  }

  /** The bytes written since the last take (valid until the next write). */
  view(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  /** True when a chunk is ready to take. */
  get full(): boolean {
    return this.pos >= this.chunk;
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const b = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    b.set(this.buf.subarray(0, this.pos));
    this.buf = b;
  }

  /** Pre-encoded bytes (short ones copied by hand: a set() call costs more than a dozen stores). */
  bytes(b: Uint8Array): void {
    const n = b.length;
    this.room(n);
    if (n > 32) this.buf.set(b, this.pos);
    else {
      const buf = this.buf;
      const p = this.pos;
      for (let i = 0; i < n; i++) buf[p + i] = b[i]!;
    }
    this.pos += n;
  }

  /** ASCII text (no character above 0x7f). */
  text(s: string): void {
    this.room(s.length);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < s.length; i++) buf[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /** One byte (a separator, a quote). */
  byte(c: number): void {
    this.room(1);
    this.buf[this.pos++] = c;
  }

  /** A number as String(x) writes it: integers as digits without a string, anything else through String. */
  num(x: number): void {
    if (x >= 0 && x <= 0xffffffff && x === Math.floor(x)) return this.uint(x);
    this.text(String(x));
  }

  /**
   * A non-negative integer below 2^32 in decimal: digits counted by comparisons, written from the right with
   * unsigned 32-bit division (a multiply for V8). Measured on the bench capture's flows: 4x faster than float
   * division per digit.
   */
  uint(n: number): void {
    this.room(10);
    const buf = this.buf;
    if (n < 10) {
      buf[this.pos++] = 48 + n;
      return;
    }
    const digits = n < 100 ? 2 : n < 1000 ? 3 : n < 10000 ? 4 : n < 100000 ? 5 : n < 1000000 ? 6 : n < 10000000 ? 7 : n < 100000000 ? 8 : n < 1000000000 ? 9 : 10;
    let p = this.pos + digits;
    this.pos = p;
    let m = n >>> 0;
    while (m >= 10) {
      const q = (m / 10) >>> 0;
      buf[--p] = 48 + m - q * 10;
      m = q;
    }
    buf[--p] = 48 + m;
  }

  /**
   * Math.round(x * 1e6) / 1e6 as String() writes it, from the integer count of microseconds: a decimal of at most 15
   * significant digits is the shortest text of the double nearest to it, so the digits are m's with the point six
   * places from the right and trailing zeros dropped (String gives the same for every |m| < 2^32 and m >= 0).
   */
  micros(m: number): void {
    if (m < 0 || m > 0xffffffff) return this.text(String(m / 1e6));
    const whole = Math.floor(m / 1e6);
    this.uint(whole);
    this.micro(m - whole * 1e6);
  }

  /** Microseconds 0 <= frac < 1e6 as the fraction String writes after the point (nothing for 0). */
  private micro(frac: number): void {
    if (frac === 0) return;
    let places = 6;
    while (frac % 10 === 0) {
      frac /= 10;
      places--;
    }
    this.room(8);
    const buf = this.buf;
    buf[this.pos++] = 46;
    let p = this.pos + places;
    this.pos = p;
    for (let k = 0; k < places; k++) {
      const q = (frac / 10) >>> 0;
      buf[--p] = 48 + frac - q * 10;
      frac = q;
    }
  }

  /**
   * A timestamp in seconds as String(x) writes it, without a string when x (1 <= x < 2^32) is the double nearest a
   * whole number of microseconds, as capture timestamps are: then that decimal, with trailing zeros dropped, is the
   * shortest text that reads back as x (the spacing of doubles below 2^32 is under 1e-6, so no other decimal of at
   * most six places is within half of it), which is what String gives. Anything else goes through String.
   */
  seconds(x: number): void {
    if (x >= 1 && x < 4294967296) {
      const m = Math.round(x * 1e6);
      if (m / 1e6 === x) {
        const whole = Math.floor(m / 1e6);
        this.uint(whole);
        this.micro(m - whole * 1e6);
        return;
      }
    }
    this.text(String(x));
  }

  /** The bytes written since the last take (a copy), and start again. */
  take(): Uint8Array {
    const out = this.buf.slice(0, this.pos);
    this.pos = 0;
    return out;
  }
}
