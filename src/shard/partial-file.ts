/**
 * A shard's partial as a file (`aclreplay work ... -o part-3.bin`) or a queue value:
 *
 *   offset 0   8 bytes  magic "ACLRPART"
 *          8   u32 LE   file format version (PARTIAL_FILE_VERSION)
 *         12   u32 LE   header length H (at most 64 KiB)
 *         16   H bytes  header, JSON: plan digest, shard, shard count, partial codec version, body length, body crc32
 *     16 + H            body: the msgpackr partial (src/pass/codec.ts for captures)
 *
 * The merge checks everything before it decodes a body: magic, version, plan, shard number, length (a truncated
 * or padded file) and crc32 (a corrupt one), so a broken shard is one clear error, never a misread.
 */
import { closeSync, fstatSync, openSync, readSync, writeFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { IoError, ShardError, fromSystemError } from '../errors.js';

export const PARTIAL_FILE_VERSION = 1;
const MAGIC = 'ACLRPART';
const PREFIX = 16;
const MAX_HEADER = 64 << 10;

export interface PartialHeader {
  plan: string;
  shard: number;
  shards: number;
  /** The body's codec version (PARTIAL_VERSION of src/pass/codec.ts, or the flow-log one). */
  codec: number;
  kind: 'capture' | 'flow-logs';
  bytes: number;
  crc32: number;
}

/** The file bytes of a partial: prefix, header, body. */
export function framePartial(h: Omit<PartialHeader, 'bytes' | 'crc32'>, body: Uint8Array): Buffer[] {
  const header: PartialHeader = { ...h, bytes: body.length, crc32: crc32(body) };
  const json = Buffer.from(JSON.stringify(header));
  const prefix = Buffer.alloc(PREFIX);
  prefix.write(MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(PARTIAL_FILE_VERSION, 8);
  prefix.writeUInt32LE(json.length, 12);
  return [prefix, json, Buffer.from(body.buffer, body.byteOffset, body.byteLength)];
}

export function writePartialFile(file: string, h: Omit<PartialHeader, 'bytes' | 'crc32'>, body: Uint8Array): void {
  try {
    writeFileSync(file, Buffer.concat(framePartial(h, body)));
  } catch (e) {
    throw new IoError(file, (e as Error).message);
  }
}

/** The header of a partial held in `head` (its first bytes) of a file or value of `size` bytes named `name`. */
export function parsePartialHeader(name: string, head: Uint8Array, size: number): { header: PartialHeader; bodyOffset: number } {
  const b = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  if (size < PREFIX || b.toString('latin1', 0, 8) !== MAGIC) throw new ShardError(name, 'not an aclreplay partial (written by aclreplay work or a queue worker)', { offset: 0 });
  const version = b.readUInt32LE(8);
  if (version !== PARTIAL_FILE_VERSION) throw new ShardError(name, `partial file of version ${version}; this aclreplay reads version ${PARTIAL_FILE_VERSION}`, { offset: 8 });
  const len = b.readUInt32LE(12);
  if (len > MAX_HEADER) throw new ShardError(name, `partial header of ${len} bytes is over the ${MAX_HEADER} limit`, { offset: 12 });
  if (PREFIX + len > size) throw new ShardError(name, `truncated: the partial header needs ${PREFIX + len} bytes, there are ${size}`, { offset: size });
  if (PREFIX + len > b.length) throw new ShardError(name, 'partial header not read whole', { offset: PREFIX });
  let header: PartialHeader;
  try {
    header = JSON.parse(b.toString('utf8', PREFIX, PREFIX + len)) as PartialHeader;
  } catch {
    throw new ShardError(name, 'partial header is not JSON: the file is corrupt', { offset: PREFIX });
  }
  const ok =
    header !== null &&
    typeof header === 'object' &&
    typeof header.plan === 'string' &&
    Number.isInteger(header.shard) &&
    Number.isInteger(header.shards) &&
    Number.isInteger(header.codec) &&
    (header.kind === 'capture' || header.kind === 'flow-logs') &&
    Number.isInteger(header.bytes) &&
    header.bytes >= 0 &&
    Number.isInteger(header.crc32);
  if (!ok) throw new ShardError(name, 'partial header lacks plan, shard, shards, codec, kind, bytes or crc32: the file is corrupt', { offset: PREFIX });
  const bodyOffset = PREFIX + len;
  if (bodyOffset + header.bytes > size) throw new ShardError(name, `truncated: the partial body needs ${header.bytes} bytes, there are ${size - bodyOffset}`, { offset: size });
  if (bodyOffset + header.bytes < size) throw new ShardError(name, `${size - bodyOffset - header.bytes} bytes after the partial body: not one whole partial`, { offset: bodyOffset + header.bytes });
  return { header, bodyOffset };
}

/** A partial's body, checked against the header's crc32. */
export function checkedBody(name: string, header: PartialHeader, bodyOffset: number, body: Uint8Array): Uint8Array {
  if (crc32(body) !== header.crc32) throw new ShardError(name, `the partial body does not match its checksum (crc32 ${crc32(body)}, header says ${header.crc32}): the file is corrupt`, { offset: bodyOffset });
  return body;
}

/** A partial file: its header now, its body when asked for (one body in memory at a time while merging). */
export interface PartialRef {
  name: string;
  /** The file's path as opened (a partial held in memory: none). */
  path?: string;
  header: PartialHeader;
  body(): Uint8Array;
}

/** Open a partial file and read its header; `name` is how messages name it (the path as given). */
export function openPartialFile(file: string, name = file): PartialRef {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw fromSystemError(name, e, 'a partial file');
  }
  try {
    const size = fstatSync(fd).size;
    const head = Buffer.alloc(Math.min(size, PREFIX + MAX_HEADER));
    const got = readSync(fd, head, 0, head.length, 0);
    const { header, bodyOffset } = parsePartialHeader(name, head.subarray(0, got), size);
    return {
      name,
      path: file,
      header,
      body: () => {
        let fd2: number;
        try {
          fd2 = openSync(file, 'r');
        } catch (e) {
          throw fromSystemError(name, e, 'a partial file');
        }
        try {
          const body = Buffer.alloc(header.bytes);
          let at = 0;
          while (at < body.length) {
            const k = readSync(fd2, body, at, body.length - at, bodyOffset + at);
            if (k === 0) throw new ShardError(name, `truncated while reading: the partial body needs ${header.bytes} bytes`, { offset: bodyOffset + at });
            at += k;
          }
          return checkedBody(name, header, bodyOffset, body);
        } finally {
          closeSync(fd2);
        }
      },
    };
  } catch (e) {
    throw e instanceof ShardError ? e : fromSystemError(name, e, 'a partial file');
  } finally {
    closeSync(fd);
  }
}

/** A partial held in memory (a queue value): the same checks as a file. */
export function partialFromBytes(name: string, bytes: Uint8Array): PartialRef {
  const { header, bodyOffset } = parsePartialHeader(name, bytes.subarray(0, PREFIX + MAX_HEADER), bytes.length);
  return { name, header, body: () => checkedBody(name, header, bodyOffset, bytes.subarray(bodyOffset, bodyOffset + header.bytes)) };
}
