/** Files of the shard commands: the plan's directory, partial files. */
import { writeFileSync } from 'node:fs';
import { IoError, ShardError } from '../errors.js';
import type { ShardPlan } from '../shard/manifest.js';

/**
 * Work where the plan was made: its inputs and options are relative to that directory (the same path on every
 * machine, as shared storage or an S3 mount gives). Resolve this command's own paths before.
 */
export function enterPlanDirectory(plan: ShardPlan, planFile: string): void {
  try {
    process.chdir(plan.cwd);
  } catch (e) {
    throw new ShardError(planFile, `the plan's directory ${plan.cwd} is not usable here (${(e as NodeJS.ErrnoException).code ?? 'error'}): run where the inputs are at the paths the plan names`);
  }
}

/** Write a framed partial; `name` is the path as given, for messages. */
export function writePartialFrames(path: string, name: string, frames: Uint8Array[]): void {
  try {
    writeFileSync(path, Buffer.concat(frames));
  } catch (e) {
    throw new IoError(name, (e as Error).message.split('\n')[0] ?? 'write failed');
  }
}
