/** piscina worker: runs one chunk and returns its Partial encoded with msgpackr, moved (not copied) back. */
import { move } from 'piscina';
import { applyV8Tuning } from '../tuning.js';
import { runChunk } from './chunk.js';
import { encodePartial, encodeFailure } from './partial.js';
import { AclReplayError } from '../errors.js';
import type { ChunkTask } from './chunker.js';

applyV8Tuning();

export default async function processChunk(task: ChunkTask): Promise<Uint8Array> {
  let encoded: Uint8Array;
  try {
    encoded = encodePartial(await runChunk(task));
  } catch (e) {
    // Our errors (a read error, say) keep their exit code across the thread boundary; anything else is a bug.
    if (!(e instanceof AclReplayError)) throw e;
    encoded = encodeFailure(e);
  }
  return move(encoded) as Uint8Array;
}
