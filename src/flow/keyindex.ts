/** Open-addressing hash index from a 4-word key to a dense entry id, over typed arrays (no Map, no strings). */
import { grown } from '../typed.js';

/**
 * Mix four 32-bit words into a 30-bit hash (multiply-xorshift; keys are addresses and ports, not adversarial). 30
 * bits, so the result is a small integer for V8: a call that is not inlined returns it without a heap number. Every
 * index masks it to far fewer bits.
 */
export function hash4(w0: number, w1: number, w2: number, w3: number): number {
  let h = Math.imul(w0 ^ (w0 >>> 16), 0x9e3779b1);
  h ^= Math.imul(w1 ^ (w1 >>> 15), 0x85ebca77);
  h ^= Math.imul(w2 ^ (w2 >>> 13), 0xc2b2ae3d);
  h ^= Math.imul(w3 ^ (w3 >>> 11), 0x27d4eb2f);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  return h & 0x3fffffff;
}

/**
 * Linear probing in `slots` (entry index or -1, size mask + 1) for the entry whose 4-word key in `keys` equals
 * (w0..w3); -1 when absent. Shared by KeyIndex and the flow table, whose slots point at their own key rows.
 */
export function probe(keys: Uint32Array, slots: Int32Array, mask: number, w0: number, w1: number, w2: number, w3: number): number {
  let s = hash4(w0, w1, w2, w3) & mask;
  for (;;) {
    const id = slots[s]!;
    if (id < 0) return -1;
    const k = 4 * id;
    if (keys[k] === w0 && keys[k + 1] === w1 && keys[k + 2] === w2 && keys[k + 3] === w3) return id;
    s = (s + 1) & mask;
  }
}

/**
 * probe() for the key in words key[at..at+3]. Long loops call this one: their inlining budget runs out, and a call
 * that is not inlined would box each key word above 2^30 as an argument; here the words are read in a small function
 * whose own budget inlines the hash.
 */
export function probeKey(keys: Uint32Array, slots: Int32Array, mask: number, key: Uint32Array, at: number): number {
  return probe(keys, slots, mask, key[at]!, key[at + 1]!, key[at + 2]!, key[at + 3]!);
}

/** A set of distinct 4-word keys, each with a dense id (insertion order) and an int32 value. */
export class KeyIndex {
  count = 0;
  keys: Uint32Array;
  values: Int32Array;
  private slots: Int32Array;
  private mask: number;

  constructor(initialCapacity = 256) {
    let cap = 16;
    while (cap < initialCapacity) cap <<= 1;
    this.keys = new Uint32Array(4 * cap);
    this.values = new Int32Array(cap);
    this.slots = new Int32Array(2 * cap).fill(-1);
    this.mask = 2 * cap - 1;
  }

  /** Id of the key, or -1. */
  find(w0: number, w1: number, w2: number, w3: number): number {
    return probe(this.keys, this.slots, this.mask, w0, w1, w2, w3);
  }

  /** Id of the key, inserting it (value -1) when absent. */
  intern(w0: number, w1: number, w2: number, w3: number): number {
    const found = this.find(w0, w1, w2, w3);
    if (found >= 0) return found;
    if (this.count * 4 >= this.keys.length) this.grow();
    const id = this.count++;
    const k = 4 * id;
    this.keys[k] = w0;
    this.keys[k + 1] = w1;
    this.keys[k + 2] = w2;
    this.keys[k + 3] = w3;
    this.values[id] = -1;
    this.place(id);
    return id;
  }

  private place(id: number): void {
    const k = 4 * id;
    const mask = this.mask;
    let s = hash4(this.keys[k]!, this.keys[k + 1]!, this.keys[k + 2]!, this.keys[k + 3]!) & mask;
    while (this.slots[s]! >= 0) s = (s + 1) & mask;
    this.slots[s] = id;
  }

  private grow(): void {
    const cap = this.values.length * 2;
    this.keys = grown(this.keys, 4 * cap);
    this.values = grown(this.values, cap);
    this.slots = new Int32Array(2 * cap).fill(-1);
    this.mask = 2 * cap - 1;
    for (let id = 0; id < this.count; id++) this.place(id);
  }

  /** Bytes held by the index. */
  byteSize(): number {
    return this.keys.byteLength + this.values.byteLength + this.slots.byteLength;
  }
}
