/** `aclreplay worker --queue redis://...`: run shard jobs of queue runs (replay/flows/diagnose --queue) until stopped. */
import { Option, type Command } from 'commander';
import { warn } from './io.js';
import { noteQueueClosed } from './via.js';
import { intInRange } from './options.js';
import { candidateSpec, parseCommandLine } from './shard-args.js';
import { decapPassOptions, type DecapOpts } from './decap.js';

export function registerWorker(program: Command, buildProgram: () => Command): void {
  program
    .command('worker')
    .description('work on shard jobs from a BullMQ queue on Redis, for runs started with --queue, on any machine that can read their inputs at the same paths')
    .requiredOption('--queue <url>', 'the Redis of the queue (redis://host:6379/0)')
    .addOption(new Option('--concurrency <n>', 'shards worked on at once, each on its own thread (1-64)').default(1).argParser(intInRange('--concurrency', 1, 64)))
    .addOption(new Option('--lock-ms <ms>', "a job's lock: a killed worker's shard is run again after about this long").default(30_000).argParser(intInRange('--lock-ms', 500, 3_600_000)).hideHelp())
    .action(async (opts: { queue: string; concurrency: number; lockMs: number }) => {
      const { startShardWorker } = await import('../shard/queue-worker.js');
      const worker = await startShardWorker({
        url: opts.queue,
        concurrency: opts.concurrency,
        lockMs: opts.lockMs,
        log: (line) => warn(`worker: ${line}`),
        prepare: async (plan) => {
          const { opts: answer } = await parseCommandLine(buildProgram, plan.command, plan.args);
          const compiled = await candidateSpec(plan.command, answer);
          return { spec: compiled?.spec ?? null, decoding: decapPassOptions(answer as DecapOpts) };
        },
      });
      warn(`worker: waiting for shard jobs (concurrency ${opts.concurrency}); stop with Ctrl-C`);
      const stop = () => void worker.close();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      await worker.closed;
      process.removeListener('SIGINT', stop);
      process.removeListener('SIGTERM', stop);
      noteQueueClosed();
    });
}
