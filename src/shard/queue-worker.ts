/**
 * `aclreplay worker`'s engine: shard jobs from the shared queue, each run on a worker thread (so the event loop
 * keeps renewing the job's lock however long the shard takes), its partial kept in Redis or the run's shared
 * directory. Bad input (a changed capture, an ACL that no longer compiles the same) fails the job at once with the
 * error the planning run then raises; anything else is retried by BullMQ.
 */
import type { Job } from 'bullmq';
import { AclReplayError, InternalError, ShardError } from '../errors.js';
import { decodeFailure } from '../pass/codec.js';
import type { WorkerPool } from '../pass/pool.js';
import type { PassSetup } from '../pass/messages.js';
import type { ReplaySpec } from '../verdict/spec.js';
import { frameCapturePartial, prepareCaptureShard, type ShardDecoding } from './capture.js';
import { parsePlan, type ShardPlan } from './manifest.js';
import type { FlowLogShardTask } from './flowlog-thread.js';
import { SHARD_QUEUE, connectRedis, errorReason, fetchPlanText, keepPartial, type ShardJobData, type ShardJobResult } from './queue.js';

/** What a plan's shards need besides the plan: the compiled candidates and decoding options of its command. */
export type PreparePlan = (plan: ShardPlan) => Promise<{ spec: ReplaySpec | null; decoding: ShardDecoding }>;

export interface ShardWorkerOptions {
  url: string;
  /** Shards run at once (worker threads). */
  concurrency: number;
  /** How long a job's lock lasts without renewal: a killed worker's shard runs again after about this long. */
  lockMs: number;
  prepare: PreparePlan;
  log: (line: string) => void;
}

export interface ShardWorker {
  /** Resolves when the worker stops (close, or the connection is lost for good). */
  closed: Promise<void>;
  close(): Promise<void>;
}

export async function startShardWorker(opts: ShardWorkerOptions): Promise<ShardWorker> {
  const redis = await connectRedis(opts.url);
  const { Worker, UnrecoverableError } = await import('bullmq');
  const { WorkerPool: Pool, builtModule } = await import('../pass/pool.js');
  const { Piscina } = await import('piscina');
  let flowLogPool: InstanceType<typeof Piscina> | null = null;
  // The plan last seen, its prepared candidates and a pool of threads set up with them (one plan at a time is usual).
  let current: { digest: string; plan: ShardPlan; spec: ReplaySpec | null; decoding: ShardDecoding; pools: Map<string, WorkerPool> } | null = null;
  let preparing: Promise<unknown> = Promise.resolve();
  const planFor = async (digest: string): Promise<NonNullable<typeof current>> => {
    if (current?.digest === digest) return current;
    // Preparing changes directory (the plan's options are relative to it): one at a time.
    const next = preparing.then(async () => {
      if (current?.digest === digest) return current;
      const text = await fetchPlanText(redis, digest);
      if (!text) throw new ShardError(`plan ${digest.slice(7, 19)}...`, 'the plan is gone from Redis (kept 7 days): run the command again');
      const plan = parsePlan(text, `plan ${digest.slice(7, 19)}...`);
      if (plan.digest !== digest) throw new ShardError(`plan ${digest.slice(7, 19)}...`, 'the stored plan has another digest');
      const here = process.cwd();
      try {
        process.chdir(plan.cwd);
      } catch (e) {
        throw new ShardError(`plan ${digest.slice(7, 19)}...`, `the plan's directory ${plan.cwd} is not usable here (${(e as NodeJS.ErrnoException).code ?? 'error'}): run workers where the inputs are at the paths the plan names`);
      }
      try {
        // Flow-log shards only parse (their records are judged at the merge): nothing to prepare.
        const { spec, decoding } = plan.kind === 'capture' ? await opts.prepare(plan) : { spec: null, decoding: { decode: undefined, dedupe: undefined } };
        for (const p of current?.pools.values() ?? []) await p.close();
        current = { digest, plan, spec, decoding, pools: new Map() };
        return current;
      } finally {
        process.chdir(here);
      }
    });
    preparing = next.catch(() => {});
    return (await next)!;
  };
  const processor = async (job: Job<ShardJobData>): Promise<ShardJobResult> => {
    const { plan: digest, shard } = job.data;
    const label = `shard ${shard} of plan ${digest.slice(7, 19)}...`;
    const t0 = performance.now();
    opts.log(`${label}: started (job ${job.id}, attempt ${job.attemptsMade + 1})`);
    try {
      const p = await planFor(digest);
      const planName = `plan ${digest.slice(7, 19)}...`;
      let frames: Uint8Array[];
      if (p.plan.kind === 'flow-logs') {
        flowLogPool ??= new Piscina({ filename: builtModule(import.meta.url, 'queue-worker', 'flowlog-thread'), minThreads: 1, maxThreads: opts.concurrency, idleTimeout: 10_000 });
        const task: FlowLogShardTask = { planText: JSON.stringify(p.plan), planName, shard, root: p.plan.cwd };
        const out = (await flowLogPool.run(task)) as Uint8Array;
        const failure = decodeFailure(out);
        if (failure) throw failure;
        frames = [out];
      } else {
        const { setup, task } = await prepareCaptureShard(p.plan, planName, shard, p.spec, p.decoding, p.plan.cwd);
        const key = JSON.stringify(setup.options);
        let pool = p.pools.get(key);
        if (!pool) {
          pool = new Pool(opts.concurrency, setup as PassSetup);
          p.pools.set(key, pool);
        }
        const encoded = await pool.run(task);
        const failure = decodeFailure(encoded);
        if (failure) throw failure;
        frames = frameCapturePartial(p.plan, shard, encoded);
      }
      const result = await keepPartial(redis, job.data, frames);
      await job.updateProgress(100);
      opts.log(`${label}: done in ${((performance.now() - t0) / 1000).toFixed(2)} s (${result.bytes} bytes${result.file ? `, ${result.file}` : ''})`);
      return result;
    } catch (e) {
      opts.log(`${label}: failed: ${(e as Error)?.message ?? e}`);
      // Bad input fails the same way on every attempt: no retries, the run raises this error.
      if (e instanceof AclReplayError && !(e instanceof InternalError)) throw new UnrecoverableError(errorReason(e));
      throw e;
    }
  };
  const worker = new Worker<ShardJobData, ShardJobResult>(SHARD_QUEUE, processor, {
    connection: redis,
    concurrency: opts.concurrency,
    lockDuration: opts.lockMs,
    stalledInterval: opts.lockMs,
    maxStalledCount: 3,
  });
  worker.on('error', (e) => opts.log(`queue error: ${e.message}`));
  await worker.waitUntilReady();
  let stop: () => void = () => {};
  const closed = new Promise<void>((resolve) => (stop = resolve));
  worker.on('closed', () => stop());
  return {
    closed,
    async close() {
      await worker.close();
      for (const p of current?.pools.values() ?? []) await p.close();
      await flowLogPool?.destroy();
      redis.disconnect();
      stop();
    },
  };
}
