/**
 * StringTable: byte strings (interface ids, subnet ids) interned to dense ids straight from the line's bytes, so a
 * record costs a hash and a compare, not a string. A JS string is made once per distinct value, when asked for.
 */
import { grown } from '../typed.js';

export class StringTable {
  count = 0;
  private pool = new Uint8Array(4096);
  private poolLen = 0;
  /** Byte range of id i in the pool: [starts[i], starts[i] + lengths[i]). */
  private starts = new Uint32Array(64);
  private lengths = new Uint16Array(64);
  private hashes = new Uint32Array(64);
  private slots = new Int32Array(128).fill(-1);
  private mask = 127;
  private readonly names: (string | undefined)[] = [];

  /** Id of the bytes buf[start, end), adding them when new. Values longer than 65535 bytes are cut there. */
  intern(buf: Uint8Array, start: number, end: number): number {
    if (end - start > 0xffff) end = start + 0xffff;
    let h = 0x811c9dc5;
    for (let p = start; p < end; p++) h = Math.imul(h ^ buf[p]!, 0x01000193);
    h >>>= 0;
    const len = end - start;
    let s = h & this.mask;
    for (;;) {
      const id = this.slots[s]!;
      if (id < 0) break;
      if (this.hashes[id] === h && this.lengths[id] === len) {
        const o = this.starts[id]!;
        let same = true;
        for (let k = 0; k < len; k++) {
          if (this.pool[o + k] !== buf[start + k]) {
            same = false;
            break;
          }
        }
        if (same) return id;
      }
      s = (s + 1) & this.mask;
    }
    return this.add(buf, start, end, h, s);
  }

  /** Id of a JS string (Parquet columns arrive as strings). */
  internString(value: string): number {
    const bytes = Buffer.from(value, 'utf8');
    return this.intern(bytes, 0, bytes.length);
  }

  private add(buf: Uint8Array, start: number, end: number, h: number, slot: number): number {
    const len = end - start;
    if (this.poolLen + len > this.pool.length) this.pool = grown(this.pool, Math.max(2 * this.pool.length, this.poolLen + len));
    if (this.count === this.starts.length) {
      const c = 2 * this.count;
      this.starts = grown(this.starts, c);
      this.lengths = grown(this.lengths, c);
      this.hashes = grown(this.hashes, c);
    }
    const id = this.count++;
    this.pool.set(buf.subarray(start, end), this.poolLen);
    this.starts[id] = this.poolLen;
    this.lengths[id] = len;
    this.hashes[id] = h;
    this.poolLen += len;
    this.slots[slot] = id;
    if (2 * this.count > this.slots.length) this.rehash();
    return id;
  }

  private rehash(): void {
    const size = 2 * this.slots.length;
    this.slots = new Int32Array(size).fill(-1);
    this.mask = size - 1;
    for (let id = 0; id < this.count; id++) {
      let s = this.hashes[id]! & this.mask;
      while (this.slots[s]! >= 0) s = (s + 1) & this.mask;
      this.slots[s] = id;
    }
  }

  /** The string of id (made on first use). */
  name(id: number): string {
    if (id < 0 || id >= this.count) return '-';
    let n = this.names[id];
    if (n === undefined) {
      const o = this.starts[id]!;
      n = Buffer.from(this.pool.buffer, this.pool.byteOffset + o, this.lengths[id]!).toString('utf8');
      this.names[id] = n;
    }
    return n;
  }

  /** Every string, by id. */
  all(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.name(i));
    return out;
  }
}
