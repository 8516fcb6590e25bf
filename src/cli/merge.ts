/**
 * `aclreplay merge plan.json part-*.bin [output options]`: the shards' partials merged, checked against the plan
 * (every shard once, each of this plan, each start proven), printed exactly as the plan's command prints when it
 * reads the traffic itself.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { warn } from './io.js';
import { OUTPUT_OPTIONS, splitOptions } from './shard-args.js';
import { enterPlanDirectory } from './shard-io.js';
import { useTrafficVia } from './via.js';

/** Output options with their file paths made absolute (the merge then runs in the plan's directory). */
function absoluteOutputs(taken: string[]): string[] {
  const out = taken.slice();
  for (let i = 0; i < out.length; i++) {
    if (out[i] === '--html' && i + 1 < out.length) out[i + 1] = resolve(out[i + 1]!);
    else if (out[i]!.startsWith('--html=')) out[i] = `--html=${resolve(out[i]!.slice(7))}`;
  }
  return out;
}

export function registerMerge(program: Command, buildProgram: () => Command): void {
  program
    .command('merge')
    .description("merge a plan's partials and print what the plan's command prints (output options: -F, --html, --fail-on)")
    .argument('<plan>', 'the plan (from aclreplay plan)')
    .argument('<args...>', 'the partial files (from aclreplay work), in any order, and output options')
    .allowUnknownOption()
    .action(async (planFile: string, args: string[]) => {
      const { rest: parts, taken } = splitOptions(args, OUTPUT_OPTIONS);
      const stray = parts.find((a) => a.startsWith('-'));
      if (stray) throw new UsageError(`merge: ${stray} is not an output option (-F, --html, --fail-on, -j): the answer's options are in the plan`);
      const [{ readPlan }, { openPartialFile }, { orderPartials, shardPass }] = await Promise.all([import('../shard/manifest.js'), import('../shard/partial-file.js'), import('../shard/capture.js')]);
      const plan = readPlan(planFile);
      const refs = orderPartials(plan, planFile, parts.map((p) => openPartialFile(resolve(p), p)));
      const output = absoluteOutputs(taken);
      enterPlanDirectory(plan, planFile);
      const body = async (k: number) => refs[k]!.body();
      useTrafficVia(
        plan.kind === 'flow-logs'
          ? { flowLogs: (await import('../shard/flowlogs.js')).flowLogShardReader(plan, body) }
          : { pass: shardPass(plan, planFile, body, (r) => warn(`shard ${r.shard}: its start (offset ${r.claimed}) is not where shard ${r.shard - 1} stopped: read again here from there`)) },
      );
      try {
        await buildProgram().parseAsync(['node', 'aclreplay', plan.command, ...plan.args, ...output]);
      } finally {
        useTrafficVia(undefined);
      }
    });
}
