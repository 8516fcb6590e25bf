/** Build-time helpers for rule bitmaps: a deduplicating store of fixed-width Uint32 bitmaps. */

/** Distinct bitmaps of `words` Uint32 words each, deduplicated by content; ids are dense from 0. */
export class BitmapStore {
  private data: Uint32Array;
  private buckets = new Map<number, number[]>();
  count = 0;

  constructor(readonly words: number) {
    this.data = new Uint32Array(Math.max(1, words) * 64);
  }

  /** The id of a bitmap equal to `bm` (words [0, this.words)), adding a copy when new. */
  intern(bm: Uint32Array): number {
    const w = this.words;
    let h = 0x811c9dc5;
    for (let i = 0; i < w; i++) h = Math.imul(h ^ bm[i]!, 0x01000193);
    const list = this.buckets.get(h);
    if (list !== undefined) {
      for (const id of list) {
        const off = id * w;
        let same = true;
        for (let i = 0; i < w; i++) {
          if (this.data[off + i] !== bm[i]) {
            same = false;
            break;
          }
        }
        if (same) return id;
      }
    }
    const id = this.count++;
    if ((id + 1) * w > this.data.length) {
      const grown = new Uint32Array(Math.max(this.data.length * 2, (id + 1) * w));
      grown.set(this.data);
      this.data = grown;
    }
    this.data.set(bm.subarray(0, w), id * w);
    if (list !== undefined) list.push(id);
    else this.buckets.set(h, [id]);
    return id;
  }

  /** The words of bitmap `id` (a view, valid until the next intern). */
  get(id: number): Uint32Array {
    return this.data.subarray(id * this.words, (id + 1) * this.words);
  }
}

/** Set bit k in a bitmap. */
export function setBit(bm: Uint32Array, k: number): void {
  bm[k >>> 5] = (bm[k >>> 5]! | (1 << (k & 31))) >>> 0;
}

/** Clear bit k in a bitmap. */
export function clearBit(bm: Uint32Array, k: number): void {
  bm[k >>> 5] = (bm[k >>> 5]! & ~(1 << (k & 31))) >>> 0;
}

/** Index of the lowest set bit of a non-zero 32-bit word. */
export function lowestBit(x: number): number {
  return 31 - Math.clz32(x & -x);
}
