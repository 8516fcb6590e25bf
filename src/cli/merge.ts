/**
 * `aclreplay merge plan.json part-*.bin [output options]`: the shards' partials merged, checked against the plan
 * (every shard once, each of this plan, each start proven), printed exactly as the plan's command prints when it
 * reads the traffic itself.
 */
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { UsageError } from '../errors.js';
import { warn, writeStdout } from './io.js';
import { intInRange } from './options.js';
import { decapPassOptions, type DecapOpts } from './decap.js';
import type { ShardPlan } from '../shard/manifest.js';
import { OUTPUT_OPTIONS, parseCommandLine, splitOptions } from './shard-args.js';
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

/** `--reduce-by client`: the records of a flows or clients plan, merged in parts by client host, as JSON lines. */
async function reduced(buildProgram: () => Command, plan: ShardPlan, planFile: string, files: string[], output: string[], reducers: number): Promise<void> {
  const { rest, taken } = splitOptions(output, new Set(['-F', '--format']));
  let format: string | null = null;
  for (let i = 0; i < taken.length; i++) {
    const t = taken[i]!;
    if (t === '-F' || t === '--format') format = taken[++i] ?? null;
    else if (t.startsWith('--format=')) format = t.slice(9);
    else if (t.startsWith('-F')) format = t.slice(2);
  }
  if (format !== 'jsonl') throw new UsageError('--reduce-by client prints JSON lines: give -F jsonl (the other formats need every record at once)');
  const other = splitOptions(rest, new Set(['-j', '--jobs', '--chunk-size'])).rest;
  if (other.length > 0) throw new UsageError(`--reduce-by client prints records only: ${other[0]} does not apply`);
  const { opts: answer } = await parseCommandLine(buildProgram, plan.command, plan.args);
  const { reduceByClient } = await import('../shard/reduce.js');
  let held = 0;
  let total = 0;
  const chunks = reduceByClient(plan, planFile, files, {
    reducers,
    decoding: decapPassOptions(answer as DecapOpts),
    onReducer: (_r, h, owned) => {
      held = Math.max(held, h);
      total += owned;
    },
  });
  // The records come once every part was reduced; they are written as the parts' runs are merged.
  for await (const c of chunks) await writeStdout([c]);
  warn(`reduced by client in ${reducers} parts: the largest held ${held} of the capture's ${total} connections`);
}

export function registerMerge(program: Command, buildProgram: () => Command): void {
  program
    .command('merge')
    .description("merge a plan's partials and print what the plan's command prints (output options: -F, --html, --fail-on)")
    .argument('<plan>', 'the plan (from aclreplay plan)')
    .argument('<args...>', 'the partial files (from aclreplay work), in any order, and output options')
    .addOption(new Option('--reduce-by <key>', 'merge in parts by client host (flows and clients plans, -F jsonl): each part holds about 2/K of the connections').choices(['client']))
    .addOption(new Option('--reducers <k>', 'with --reduce-by: the number of parts (2-256)').default(4).argParser(intInRange('--reducers', 2, 256)))
    .allowUnknownOption()
    .action(async (planFile: string, args: string[], mergeOpts: { reduceBy?: 'client'; reducers: number }) => {
      const { rest: parts, taken } = splitOptions(args, OUTPUT_OPTIONS);
      const stray = parts.find((a) => a.startsWith('-'));
      if (stray) throw new UsageError(`merge: ${stray} is not an output option (-F, --html, --fail-on, -j): the answer's options are in the plan`);
      const [{ readPlan }, { openPartialFile }, { orderPartials, shardPass }] = await Promise.all([import('../shard/manifest.js'), import('../shard/partial-file.js'), import('../shard/capture.js')]);
      const plan = readPlan(planFile);
      const refs = orderPartials(plan, planFile, parts.map((p) => openPartialFile(resolve(p), p)));
      const output = absoluteOutputs(taken);
      enterPlanDirectory(plan, planFile);
      const body = async (k: number) => refs[k]!.body();
      if (mergeOpts.reduceBy) {
        await reduced(buildProgram, plan, planFile, refs.map((r) => r.path!), output, mergeOpts.reducers);
        return;
      }
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
