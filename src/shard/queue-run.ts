/**
 * The planning run's side of the queue: enqueue the plan as a BullMQ flow (a parent merge job on a queue of this
 * run's own, one child per shard on the shared shard queue), follow the children's progress, and when the parent
 * becomes ready take the children's values: where each shard's partial is. The partials are then fetched in shard
 * order, one at a time, by the same merge `aclreplay merge` runs.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { ShardError } from '../errors.js';
import type { ShardPlan } from './manifest.js';
import { openPartialFile, partialFromBytes, type PartialRef } from './partial-file.js';
import { SHARD_QUEUE, connectRedis, dropPartials, errorFromReason, fetchPartial, redactUrl, storePlan, type ShardJobData, type ShardJobResult } from './queue.js';

export interface QueueRunOptions {
  url: string;
  /** Where workers put partials over the inline limit (shared storage this run reads), or null. */
  partialsDir: string | null;
  inlineLimit: number;
  /** Shards done so far, of all. */
  onProgress?: (done: number, total: number) => void;
  /** One-line notes for the user (no worker has taken a job yet, ...). */
  note?: (line: string) => void;
  /** Attempts per shard job for failures that are not bad input (default 3). */
  attempts?: number;
}

/** A run in flight: the partials in shard order once every shard is done, and the clean-up. */
export interface QueueRun {
  partial(shard: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** Enqueue `plan` and wait until every shard is done (or one failed for good: its error, as the worker raised it). */
export async function runOnQueue(plan: ShardPlan, opts: QueueRunOptions): Promise<QueueRun> {
  const redis = await connectRedis(opts.url);
  const { FlowProducer, QueueEvents, Worker, Queue } = await import('bullmq');
  const runId = randomBytes(6).toString('hex');
  const mergeQueue = `aclreplay-merge-${runId}`;
  const n = plan.shards.length;
  const ids = new Map<string, number>();
  plan.shards.forEach((_, k) => ids.set(`${plan.digest.slice(7, 23)}-${runId}-${k}`, k));
  // QueueEvents blocks on its connection: its own, which BullMQ leaves to us to close (it closes only its own).
  const eventsConnection = redis.duplicate();
  const events = new QueueEvents(SHARD_QUEUE, { connection: eventsConnection });
  const flow = new FlowProducer({ connection: redis });
  let worker: InstanceType<typeof Worker> | null = null;
  let results: ShardJobResult[] = [];
  const close = async () => {
    await dropPartials(redis, results).catch(() => {});
    for (const r of results) if (r.file) rmSync(r.file, { force: true });
    // Forced: nothing is active on the merge queue by now, and a graceful close would wait out a blocking poll.
    await worker?.close(true).catch(() => {});
    await events.close().catch(() => {});
    await flow.close().catch(() => {});
    const q = new Queue(mergeQueue, { connection: redis });
    await q.obliterate({ force: true }).catch(() => {});
    await q.close().catch(() => {});
    eventsConnection.disconnect();
    redis.disconnect();
  };
  try {
    await events.waitUntilReady();
    await storePlan(redis, plan);
    let parentReady: (v: Record<string, ShardJobResult>) => void = () => {};
    const parent = new Promise<Record<string, ShardJobResult>>((resolve) => (parentReady = resolve));
    worker = new Worker(
      mergeQueue,
      async (job) => {
        parentReady((await job.getChildrenValues()) as Record<string, ShardJobResult>);
        return 'merging';
      },
      { connection: redis, concurrency: 1 },
    );
    worker.on('error', () => {});
    // Ready before the flow is added: a worker that starts polling after its job arrived waits out a poll (5 s).
    await worker.waitUntilReady();
    const values = await new Promise<Record<string, ShardJobResult>>((resolve, reject) => {
      let done = 0;
      let active = false;
      const waiting = setTimeout(() => {
        if (!active) opts.note?.(`waiting for workers on ${redactUrl(opts.url)}: run aclreplay worker --queue ${redactUrl(opts.url)} where ${plan.inputs[0]!.name} can be read (in ${plan.cwd})`);
      }, 10_000);
      const fail = (e: Error) => {
        clearTimeout(waiting);
        reject(e);
      };
      parent.then((v) => {
        clearTimeout(waiting);
        resolve(v);
      });
      events.on('active', ({ jobId }) => {
        if (ids.has(jobId)) active = true;
      });
      events.on('completed', ({ jobId }) => {
        if (ids.has(jobId)) opts.onProgress?.(++done, n);
      });
      events.on('failed', ({ jobId, failedReason }) => {
        const k = ids.get(jobId);
        if (k !== undefined) fail(errorFromReason(failedReason, k));
      });
      const children = [...ids].map(([jobId, shard]) => {
        const data: ShardJobData = { plan: plan.digest, shard, partialsDir: opts.partialsDir, inlineLimit: opts.inlineLimit };
        return {
          name: 'shard',
          queueName: SHARD_QUEUE,
          data,
          opts: { jobId, attempts: opts.attempts ?? 3, backoff: { type: 'fixed', delay: 1000 }, failParentOnFailure: true, removeOnComplete: { age: 3600 }, removeOnFail: { age: 86400 } },
        };
      });
      flow.add({ name: 'merge', queueName: mergeQueue, data: { plan: plan.digest }, children, opts: { removeOnComplete: true, removeOnFail: true } }).catch(fail);
    });
    results = orderResults(plan, Object.values(values));
  } catch (e) {
    await close();
    throw e;
  }
  return {
    async partial(k: number): Promise<Uint8Array> {
      const where = await fetchPartial(redis, results[k]!);
      const name = `shard ${k} (${'file' in where ? where.file : results[k]!.redisKey})`;
      const ref: PartialRef = 'file' in where ? openPartialFile(where.file, name) : partialFromBytes(name, where.bytes);
      if (ref.header.plan !== plan.digest || ref.header.shard !== k) throw new ShardError(name, `holds shard ${ref.header.shard} of plan ${ref.header.plan.slice(7, 19)}..., expected shard ${k} of ${plan.digest.slice(7, 19)}...`);
      return ref.body();
    },
    close,
  };
}

/** One value per shard, in shard order. */
function orderResults(plan: ShardPlan, values: ShardJobResult[]): ShardJobResult[] {
  const out: ShardJobResult[] = new Array(plan.shards.length);
  for (const v of values) {
    if (!v || !Number.isInteger(v.shard) || v.shard < 0 || v.shard >= out.length) throw new ShardError('queue', `a shard job returned ${JSON.stringify(v)?.slice(0, 80)}`);
    if (out[v.shard]) throw new ShardError('queue', `shard ${v.shard} returned twice`);
    out[v.shard] = v;
  }
  for (let k = 0; k < out.length; k++) if (!out[k]) throw new ShardError('queue', `shard ${k} returned nothing`);
  return out;
}

export type { Redis };
