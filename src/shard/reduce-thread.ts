/** A reducer's pass of `merge --reduce-by client` on a thread of its own (src/shard/reduce.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import { AclReplayError, errorFields } from '../errors.js';
import { applyV8Tuning } from '../tuning.js';
import { parsePlan } from './manifest.js';
import { runReducer, type ReducerTask } from './reduce.js';

applyV8Tuning();

const task = workerData as ReducerTask;
try {
  const result = await runReducer(parsePlan(task.planText, task.planFile), task);
  parentPort!.postMessage({ result });
} catch (e) {
  if (e instanceof AclReplayError) parentPort!.postMessage({ failure: errorFields(e) });
  else parentPort!.postMessage({ error: String((e as Error)?.stack ?? e) });
}
