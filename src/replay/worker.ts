/** piscina worker: runs one chunk and returns its Partial encoded with msgpackr, moved (not copied) back. */
import { move } from 'piscina';
import { applyV8Tuning } from '../tuning.js';
import { runChunk } from './chunk.js';
import { encodePartial } from './partial.js';
import type { ChunkTask } from './chunker.js';

applyV8Tuning();

export default async function processChunk(task: ChunkTask): Promise<Uint8Array> {
  const encoded = encodePartial(await runChunk(task));
  return move(encoded) as Uint8Array;
}
