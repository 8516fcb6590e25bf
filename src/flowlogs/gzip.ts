/**
 * Streaming gzip (RFC 1952) of a file, member by member, keeping every byte that inflated before a failure. Node's
 * gunzip stream drops the output of the call that fails (trailing garbage after a member, a cut file), so each
 * member's header is parsed here, its deflate data goes through a raw inflater that stops at the end of the data
 * (bytesWritten then tells where the trailer is), and the trailer's CRC-32 and ISIZE are checked.
 */
import { openSync, readSync, closeSync, fstatSync } from 'node:fs';
import { createInflateRaw, crc32, constants as zc } from 'node:zlib';
import { fromSystemError } from '../errors.js';

/** A failure of the compressed stream: the compressed offset, and what happened. */
export interface GzipFailure {
  offset: number;
  message: string;
}

const READ_BYTES = 1 << 16;

/**
 * Inflate `file` and hand each decompressed piece to `onData` (the piece is only valid during the call). Resolves
 * with null when every member was whole, or with the first failure (everything before it was handed on).
 */
export async function gunzipFile(file: string, onData: (chunk: Uint8Array) => void): Promise<GzipFailure | null> {
  let fd: number;
  let size: number;
  try {
    fd = openSync(file, 'r');
    size = fstatSync(fd).size;
  } catch (e) {
    throw fromSystemError(file, e);
  }
  const buf = new Uint8Array(READ_BYTES);
  const readAt = (pos: number, n: number): Uint8Array => {
    const k = readSync(fd, buf, 0, Math.min(n, READ_BYTES), pos);
    return buf.subarray(0, k);
  };
  try {
    let pos = 0;
    let member = 0;
    while (pos < size) {
      const head = readAt(pos, READ_BYTES);
      if (head.length < 2 || head[0] !== 0x1f || head[1] !== 0x8b) {
        return {
          offset: pos,
          message: member === 0 ? 'not a gzip stream' : `${size - pos} bytes after gzip member ${member} at offset ${pos} are not a gzip member (ignored)`,
        };
      }
      const hlen = headerLength(head);
      if (hlen < 0) return { offset: pos, message: hlen === -2 ? `gzip member ${member + 1} at offset ${pos}: unsupported compression method` : `gzip member ${member + 1} at offset ${pos}: header cut short` };
      const dataStart = pos + hlen;
      const r = await inflateMember(readAt, dataStart, size, onData);
      if (r.error) return { offset: dataStart + r.consumed, message: `gzip member ${member + 1}: corrupt deflate data near offset ${dataStart + r.consumed} (${r.error}); ${r.out} bytes of it were inflated and are kept` };
      const trailerAt = dataStart + r.consumed;
      if (!r.ended || trailerAt + 8 > size) {
        return { offset: size, message: `gzip stream cut short at offset ${size} (file size) inside member ${member + 1}; the ${r.out} bytes it inflated to are kept` };
      }
      const t = readAt(trailerAt, 8);
      const crc = (t[0]! | (t[1]! << 8) | (t[2]! << 16) | (t[3]! << 24)) >>> 0;
      const isize = (t[4]! | (t[5]! << 8) | (t[6]! << 16) | (t[7]! << 24)) >>> 0;
      if (isize !== r.out % 2 ** 32 || crc !== r.crc) {
        return { offset: trailerAt, message: `gzip member ${member + 1}: trailer at offset ${trailerAt} does not match the inflated data (CRC-32 or length)` };
      }
      pos = trailerAt + 8;
      member++;
    }
    return null;
  } catch (e) {
    throw fromSystemError(file, e);
  } finally {
    closeSync(fd);
  }
}

/** Length of the member header at head[0..] (RFC 1952 2.3), -1 when cut short, -2 for a method other than deflate. */
export function headerLength(h: Uint8Array): number {
  if (h.length < 10) return -1;
  if (h[2] !== 8) return -2;
  const flg = h[3]!;
  let p = 10;
  if (flg & 0x04) {
    if (p + 2 > h.length) return -1;
    p += 2 + (h[p]! | (h[p + 1]! << 8));
  }
  if (flg & 0x08) {
    while (p < h.length && h[p] !== 0) p++;
    p++;
  }
  if (flg & 0x10) {
    while (p < h.length && h[p] !== 0) p++;
    p++;
  }
  if (flg & 0x02) p += 2;
  return p > h.length ? -1 : p;
}

interface MemberResult {
  consumed: number;
  out: number;
  crc: number;
  ended: boolean;
  error: string | null;
}

/** Inflate one member's deflate data from `start`; stops feeding once the inflater has reached the data's end. */
async function inflateMember(readAt: (pos: number, n: number) => Uint8Array, start: number, size: number, onData: (c: Uint8Array) => void): Promise<MemberResult> {
  const inf = createInflateRaw({ finishFlush: zc.Z_SYNC_FLUSH });
  const res: MemberResult = { consumed: 0, out: 0, crc: 0, ended: false, error: null };
  inf.on('data', (d: Buffer) => {
    res.out += d.length;
    res.crc = crc32(d, res.crc);
    onData(d);
  });
  const finished = new Promise<void>((resolve) => {
    inf.on('end', resolve);
    inf.on('error', (e: Error) => {
      res.error = e.message;
      resolve();
    });
  });
  let fed = 0;
  let pos = start;
  while (pos < size && res.error === null) {
    // a copy: the read buffer is reused while the inflater may still hold this chunk
    const chunk = Buffer.from(readAt(pos, READ_BYTES));
    if (chunk.length === 0) break;
    // An inflater that fails during the write never calls the write's callback: the error ends the wait too.
    await Promise.race([new Promise<void>((resolve) => inf.write(chunk, () => resolve())), finished]);
    fed += chunk.length;
    pos += chunk.length;
    if (inf.bytesWritten < fed) break; // the deflate data ended inside this chunk
  }
  if (res.error === null) inf.end();
  await finished;
  res.consumed = inf.bytesWritten;
  // Without an error, the deflate data ended iff it left input unread: a whole member always has its 8-byte trailer after it.
  res.ended = res.error === null && res.consumed < fed;
  return res;
}
