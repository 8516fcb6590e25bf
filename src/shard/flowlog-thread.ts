/**
 * piscina worker of `aclreplay worker` for flow-log shards: parses one shard on this thread (so the queue worker's
 * event loop keeps renewing the job's lock) and returns its framed partial, moved back; our errors travel as fields.
 */
import { move } from 'piscina';
import { AclReplayError } from '../errors.js';
import { encodeFailure } from '../pass/codec.js';
import { applyV8Tuning } from '../tuning.js';
import { runFlowLogShard } from './flowlogs.js';
import { parsePlan } from './manifest.js';

applyV8Tuning();

export interface FlowLogShardTask {
  planText: string;
  planName: string;
  shard: number;
  root: string;
}

export default async function flowLogShard(task: FlowLogShardTask): Promise<Uint8Array> {
  let out: Uint8Array;
  try {
    const plan = parsePlan(task.planText, task.planName);
    out = Buffer.concat(await runFlowLogShard(plan, task.planName, task.shard, task.root));
  } catch (e) {
    if (!(e instanceof AclReplayError)) throw e;
    out = encodeFailure(e);
  }
  return move(out) as Uint8Array;
}
