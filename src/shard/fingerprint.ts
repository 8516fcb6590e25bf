/**
 * Fingerprints that tie shards to what they were planned on: an input's (its size and its first and last 64 KiB,
 * so a capture that grew, was truncated or replaced is noticed without reading it all) and the compiled
 * candidates' (every table of the spec workers judge packets with).
 */
import { createHash, type Hash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { fromSystemError } from '../errors.js';

const EDGE = 64 << 10;

/** sha256 of the file's size and its first and last 64 KiB; with the size. */
export function inputFingerprint(file: string): { size: number; fingerprint: string } {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw fromSystemError(file, e);
  }
  try {
    const size = fstatSync(fd).size;
    const h = createHash('sha256').update(`size ${size}\n`);
    const buf = Buffer.alloc(Math.min(EDGE, size));
    h.update(buf.subarray(0, readSync(fd, buf, 0, buf.length, 0)));
    if (size > EDGE) h.update(buf.subarray(0, readSync(fd, buf, 0, buf.length, Math.max(EDGE, size - EDGE))));
    return { size, fingerprint: `sha256:${h.digest('hex')}` };
  } catch (e) {
    throw fromSystemError(file, e);
  } finally {
    closeSync(fd);
  }
}

/** sha256 over a value: object keys sorted, typed arrays by their type and bytes, numbers and strings as text. */
export function valueDigest(v: unknown): string {
  const h = createHash('sha256');
  feed(h, v);
  return `sha256:${h.digest('hex')}`;
}

function feed(h: Hash, v: unknown): void {
  if (ArrayBuffer.isView(v)) {
    h.update(`${v.constructor.name}(${v.byteLength})`);
    h.update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  } else if (v instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && v instanceof SharedArrayBuffer)) {
    h.update(`buffer(${v.byteLength})`);
    h.update(new Uint8Array(v));
  } else if (Array.isArray(v)) {
    h.update(`[${v.length}`);
    for (const x of v) feed(h, x);
    h.update(']');
  } else if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o).sort();
    h.update(`{${keys.length}`);
    for (const k of keys) {
      h.update(JSON.stringify(k));
      feed(h, o[k]);
    }
    h.update('}');
  } else h.update(`${typeof v}:${String(v)};`);
}
