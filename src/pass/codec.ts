/**
 * The partial codec: ChunkPartial (and a worker's failure) as msgpackr bytes, typed arrays as binary extensions,
 * tagged with a format version so a partial written by another version is refused instead of misread.
 */
import { createRequire } from 'node:module';
import type { Packr } from 'msgpackr';
import { InternalError, errorFields, errorFromFields, type AclReplayError } from '../errors.js';
import type { ChunkPartial } from './columns.js';
import type { ChunkFailure } from './messages.js';

/** Bumped whenever ChunkPartial's fields change meaning. */
export const PARTIAL_VERSION = 2;

/** msgpackr, loaded on first use: only partials that cross threads are encoded. */
let packrInstance: Packr | null = null;
function packr(): Packr {
  if (!packrInstance) {
    const { Packr: P } = createRequire(import.meta.url)('msgpackr') as typeof import('msgpackr');
    packrInstance = new P({ moreTypes: true, useRecords: false });
  }
  return packrInstance;
}

/** msgpackr encoding of a partial. */
export function encodePartial(p: ChunkPartial): Uint8Array {
  return packr().pack({ version: PARTIAL_VERSION, partial: p });
}

/** A worker's answer when its chunk failed with one of our errors: subclass, file, offset and all. */
export function encodeFailure(e: AclReplayError): Uint8Array {
  const f: ChunkFailure = { failure: errorFields(e) };
  return packr().pack(f);
}

/** The partial, or the worker's error raised again on this side. */
export function decodePartial(bytes: Uint8Array): ChunkPartial {
  const v = packr().unpack(bytes) as { version: number; partial: ChunkPartial } | ChunkFailure;
  if ('failure' in v) throw errorFromFields(v.failure);
  if (v.version !== PARTIAL_VERSION) throw new InternalError(`partial of format version ${v.version}, expected ${PARTIAL_VERSION}`);
  return v.partial;
}

/** The error a worker's reply carries, or null when it carries a partial: a failure is a map of one key, a partial of two. */
export function decodeFailure(bytes: Uint8Array): AclReplayError | null {
  const oneKey = bytes[0] === 0x81 || (bytes[0] === 0xde && bytes[1] === 0 && bytes[2] === 1);
  if (!oneKey) return null;
  const v = packr().unpack(bytes) as ChunkFailure;
  return 'failure' in v ? errorFromFields(v.failure) : null;
}

/** msgpackr encoding of any value of typed arrays, numbers, strings, arrays and plain objects (shard partials). */
export function packValue(v: unknown): Uint8Array {
  return packr().pack(v);
}

export function unpackValue(bytes: Uint8Array): unknown {
  return packr().unpack(bytes);
}
