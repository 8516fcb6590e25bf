/**
 * piscina worker: set up once from the pass's workerData (compiled candidates in shared memory), then run chunk
 * after chunk, returning each ChunkPartial encoded with msgpackr, moved (not copied) back.
 */
import { move, workerData } from 'piscina';
import { applyV8Tuning } from '../tuning.js';
import { ChunkRunner } from './chunk.js';
import { encodePartial, encodeFailure } from './codec.js';
import { AclReplayError } from '../errors.js';
import type { ChunkTask, PassSetup } from './messages.js';

applyV8Tuning();

const runner = new ChunkRunner(workerData as PassSetup, false);

export default async function processChunk(task: ChunkTask): Promise<Uint8Array> {
  let encoded: Uint8Array;
  try {
    encoded = encodePartial(await runner.run(task));
  } catch (e) {
    // Our errors (a read error, say) keep their class, exit code and context across the thread boundary; anything
    // else is a bug.
    if (!(e instanceof AclReplayError)) throw e;
    encoded = encodeFailure(e);
  }
  return move(encoded) as Uint8Array;
}
