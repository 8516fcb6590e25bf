/** `aclreplay work plan.json --shard i -o part-i.bin`: one shard of a plan, on any machine that can read its inputs. */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { writePartialFrames, enterPlanDirectory } from './shard-io.js';
import { intInRange } from './options.js';
import { decapPassOptions, type DecapOpts } from './decap.js';
import { candidateSpec, parseCommandLine } from './shard-args.js';

export function registerWork(program: Command, buildProgram: () => Command): void {
  program
    .command('work')
    .description("work on one shard of a plan: its partial (versioned, tied to the plan's digest) for aclreplay merge")
    .argument('<plan>', 'the plan (from aclreplay plan)')
    .requiredOption('--shard <i>', 'the shard to work on (0-based)', intInRange('--shard', 0, 65535))
    .requiredOption('-o, --output <file>', 'the partial file to write')
    .action(async (planFile: string, opts: { shard: number; output: string }) => {
      const out = resolve(opts.output);
      const [{ readPlan }, { runCaptureShard }] = await Promise.all([import('../shard/manifest.js'), import('../shard/capture.js')]);
      const plan = readPlan(planFile);
      enterPlanDirectory(plan, planFile);
      let frames: Uint8Array[];
      if (plan.kind === 'flow-logs') frames = await (await import('../shard/flowlogs.js')).runFlowLogShard(plan, planFile, opts.shard);
      else {
        const { opts: answer } = await parseCommandLine(buildProgram, plan.command, plan.args);
        const compiled = await candidateSpec(plan.command, answer);
        frames = await runCaptureShard(plan, planFile, opts.shard, compiled?.spec ?? null, decapPassOptions(answer as DecapOpts));
      }
      writePartialFrames(out, opts.output, frames);
    });
}
