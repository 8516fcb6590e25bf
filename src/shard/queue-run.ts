/**
 * The planning run's side of the queue: enqueue the plan as a BullMQ flow (a parent merge job on a queue of this
 * run's own, one child per shard on the shared shard queue), follow the children's progress, and when the parent
 * becomes ready take the children's values: where each shard's partial is. The partials are fetched in shard
 * order, one at a time, by the same merge `aclreplay merge` runs; shard k's is handed over as soon as its job
 * completes (the completed event carries where it is), so the merge folds the first shards while later ones still
 * run. The parent's children values are the authority: they settle every shard an event did not.
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

/** A run in flight: each shard's partial once that shard is done, every shard done, and the clean-up. */
export interface QueueRun {
  /** Shard k's partial, as soon as shard k is done (rejects with the run's failure, if one came first). */
  partial(shard: number): Promise<Uint8Array>;
  /** Every shard done (the parent merge job ready), or the first shard failed for good (its error, as the worker raised it). */
  done: Promise<void>;
  close(): Promise<void>;
}

/** A shard's result, settled once: by its completed event or by the parent's children values, whichever comes first. */
interface ShardSlot {
  value: ShardJobResult | null;
  promise: Promise<ShardJobResult>;
  resolve(v: ShardJobResult): void;
  reject(e: Error): void;
}

function shardSlot(): ShardSlot {
  const slot = { value: null } as ShardSlot;
  slot.promise = new Promise<ShardJobResult>((resolve, reject) => {
    slot.resolve = resolve;
    slot.reject = reject;
  });
  // Nobody may be waiting for this shard yet when the run fails: the failure reaches the merge through the shard it waits for.
  slot.promise.catch(() => {});
  return slot;
}

/** Enqueue `plan`; the run hands out each shard's partial as its job completes. */
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
  const slots = Array.from({ length: n }, shardSlot);
  let failure: Error | null = null;
  const settle = (k: number, v: ShardJobResult): void => {
    const slot = slots[k]!;
    if (slot.value !== null) return;
    checkResult(v, k);
    slot.value = v;
    slot.resolve(v);
  };
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    const results = slots.map((s) => s.value).filter((v): v is ShardJobResult => v !== null);
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
  let done: Promise<void>;
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
    let completed = 0;
    let active = false;
    const waiting = setTimeout(() => {
      if (!active) opts.note?.(`waiting for workers on ${redactUrl(opts.url)}: run aclreplay worker --queue ${redactUrl(opts.url)} where ${plan.inputs[0]!.name} can be read (in ${plan.cwd})`);
    }, 10_000);
    let finished: () => void = () => {};
    let failed: (e: Error) => void = () => {};
    done = new Promise<void>((resolve, reject) => {
      finished = resolve;
      failed = reject;
    });
    done.catch(() => {});
    const fail = (e: Error) => {
      clearTimeout(waiting);
      if (failure) return;
      failure = e;
      for (const slot of slots) if (slot.value === null) slot.reject(e);
      failed(e);
    };
    parent.then((v) => {
      clearTimeout(waiting);
      try {
        orderResults(plan, Object.values(v)).forEach((r, k) => settle(k, r));
        finished();
      } catch (e) {
        fail(e as Error);
      }
    });
    events.on('active', ({ jobId }) => {
      if (ids.has(jobId)) active = true;
    });
    events.on('completed', ({ jobId, returnvalue }) => {
      const k = ids.get(jobId);
      if (k === undefined) return;
      opts.onProgress?.(++completed, n);
      try {
        settle(k, returnvalue as unknown as ShardJobResult);
      } catch (e) {
        fail(e as Error);
      }
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
    await flow.add({ name: 'merge', queueName: mergeQueue, data: { plan: plan.digest }, children, opts: { removeOnComplete: true, removeOnFail: true } });
  } catch (e) {
    await close();
    throw e;
  }
  return {
    async partial(k: number): Promise<Uint8Array> {
      const r = await slots[k]!.promise;
      const where = await fetchPartial(redis, r);
      const name = `shard ${k} (${'file' in where ? where.file : r.redisKey})`;
      const ref: PartialRef = 'file' in where ? openPartialFile(where.file, name) : partialFromBytes(name, where.bytes);
      if (ref.header.plan !== plan.digest || ref.header.shard !== k) throw new ShardError(name, `holds shard ${ref.header.shard} of plan ${ref.header.plan.slice(7, 19)}..., expected shard ${k} of ${plan.digest.slice(7, 19)}...`);
      return ref.body();
    },
    done,
    close,
  };
}

/** A shard job's value, as its worker returned it: the shard it says it did, and where its partial is. */
function checkResult(v: ShardJobResult, k: number): void {
  if (!v || typeof v !== 'object' || v.shard !== k || (typeof v.redisKey !== 'string' && typeof v.file !== 'string')) throw new ShardError('queue', `shard ${k}'s job returned ${JSON.stringify(v)?.slice(0, 80)}`);
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
