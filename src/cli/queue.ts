/**
 * `--queue redis://...` on replay, flows and diagnose: the command plans its traffic into shards, enqueues them
 * for `aclreplay worker` processes (BullMQ), and reads the merged partials instead of the traffic, so it prints what
 * it prints when it reads the traffic itself.
 */
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { UsageError } from '../errors.js';
import type { TrafficVia } from '../analyze/traffic.js';
import type { PlanCommand } from '../shard/commands.js';
import type { ShardPlan } from '../shard/manifest.js';
import type { QueueRun } from '../shard/queue-run.js';
import { warn } from './io.js';
import { intInRange } from './options.js';
import { shardProgressBar } from './progress.js';
import { OUTPUT_OPTIONS, QUEUE_OPTIONS, shardBytes, shardCount, splitOptions } from './shard-args.js';
import { shardSize } from './plan.js';
import { noteQueueClosed, useTrafficVia } from './via.js';

export interface QueueOpts {
  queue?: string;
  shards?: number;
  shardBytes?: number;
  partialsDir?: string;
  inlineLimit?: number;
}

/** The queue options of a command. */
export function withQueueOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--queue <url>', 'run on aclreplay worker processes through BullMQ on this Redis (redis://host:6379/0), cut into --shards or --shard-bytes'))
    .addOption(new Option('--shards <n>', 'with --queue: this many shards (1-65536)').argParser(shardCount))
    .addOption(new Option('--shard-bytes <size>', 'with --queue: a shard every SIZE bytes of input (e.g. 1GiB)').argParser(shardBytes))
    .addOption(new Option('--partials-dir <dir>', 'with --queue: shared storage for partials over the Redis value limit (64 MiB)'))
    .addOption(new Option('--inline-limit <bytes>', 'partials up to this size travel through Redis').argParser(intInRange('--inline-limit', 0, 512 << 20)).hideHelp());
}

/**
 * With --queue: read the traffic through the queue from here on (the command's pass runs there). `cmd` is the
 * command as parsed (its raw arguments become the plan's, without output and queue options).
 */
export function useQueue(command: PlanCommand, cmd: Command, traffic: string[], opts: QueueOpts): TrafficVia | undefined {
  if (!opts.queue) {
    if (opts.shards !== undefined || opts.shardBytes !== undefined || opts.partialsDir !== undefined) throw new UsageError('--shards, --shard-bytes and --partials-dir go with --queue (or with aclreplay plan)');
    return undefined;
  }
  const size = shardSize(opts, `--queue`);
  // commander keeps the argv it parsed on the program (rawArgs; not in its type declarations).
  const raw = (cmd.parent as unknown as { rawArgs?: string[] } | null)?.rawArgs ?? [];
  const at = raw.indexOf(command, 2);
  const { rest: args } = splitOptions(raw.slice(at + 1), new Set([...OUTPUT_OPTIONS, ...QUEUE_OPTIONS, '--inline-limit']));
  const url = opts.queue;
  const partialsDir = opts.partialsDir ? resolve(opts.partialsDir) : null;
  const inlineLimit = opts.inlineLimit;
  /** Plan the traffic, run it on the queue, and hand the partials to `merge` one at a time. */
  const onQueue = async <T>(merge: (plan: ShardPlan, partial: (k: number) => Promise<Uint8Array>) => Promise<T>): Promise<T> => {
    const [{ makePlan }, { runOnQueue }, { DEFAULT_INLINE_LIMIT }] = await Promise.all([import('./plan.js'), import('../shard/queue-run.js'), import('../shard/queue.js')]);
    const plan = await makePlan(command, args, traffic, opts as Record<string, unknown>, size);
    const bar = shardProgressBar();
    let run: QueueRun;
    try {
      run = await runOnQueue(plan, { url, partialsDir, inlineLimit: inlineLimit ?? DEFAULT_INLINE_LIMIT, onProgress: bar.onProgress, note: warn });
    } catch (e) {
      bar.stop();
      throw e;
    }
    // The merge folds each shard as it is done; the bar stops when the last one is (or one failed).
    run.done.then(
      () => bar.stop(),
      () => bar.stop(),
    );
    try {
      const answer = await merge(plan, (k) => run.partial(k));
      await run.done;
      return answer;
    } finally {
      bar.stop();
      await run.close();
      noteQueueClosed();
    }
  };
  return {
    pass: (file, passOpts) =>
      onQueue(async (plan, partial) => {
        const [{ shardPass }, { redactUrl }] = await Promise.all([import('../shard/capture.js'), import('../shard/queue.js')]);
        return shardPass(plan, `queue ${redactUrl(url)}`, partial, (r) => warn(`shard ${r.shard}: its start (offset ${r.claimed}) is not where shard ${r.shard - 1} stopped: read again here from there`))(file, passOpts);
      }),
    flowLogs: (inputs, flowOpts) => onQueue(async (plan, partial) => (await import('../shard/flowlogs.js')).flowLogShardReader(plan, partial)(inputs, flowOpts)),
  };
}

/** Run a command's body reading through the queue when --queue is given. */
export async function queued(command: PlanCommand, cmd: Command, traffic: string[], opts: QueueOpts, body: () => Promise<void>): Promise<void> {
  const via = useQueue(command, cmd, traffic, opts);
  if (!via) return body();
  useTrafficVia(via);
  try {
    await body();
  } finally {
    useTrafficVia(undefined);
  }
}
