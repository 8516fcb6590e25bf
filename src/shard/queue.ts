/**
 * Shards on BullMQ (Redis): the run that plans enqueues one flow, a parent merge job on a queue of its own with one
 * child job per shard on the shared shard queue; `aclreplay worker` processes shard jobs on any machine that can
 * read the inputs; when every child is done, the parent reaches the planning run, which fetches the partials in
 * shard order and merges them as `aclreplay merge` does.
 *
 * Where things live in Redis (all keys under "aclreplay:", BullMQ's under "bull:"):
 *   aclreplay:plan:<digest>             the plan (JSON), for workers; 7 days
 *   aclreplay:partial:<digest>:<shard>  a shard's framed partial, when it is at most the inline limit; 1 day
 * A larger partial is written to the shared directory the run names (--partials-dir) and only its path travels.
 *
 * A worker killed mid-shard holds the job's lock until it expires (lockDuration); the stalled check then moves the
 * job back to wait and another worker runs it again. A shard's partial depends only on the plan and the shard, so a
 * second run writes the same bytes, and the parent collects one value per child: merged once.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type { Job } from 'bullmq';
import { AclReplayError, IoError, ShardError, UsageError, errorFields, errorFromFields, type ErrorFields } from '../errors.js';
import type { ShardPlan } from './manifest.js';

export const SHARD_QUEUE = 'aclreplay-shards';
const PLAN_TTL = 7 * 86400;
const PARTIAL_TTL = 86400;
/** Partials up to this size travel through Redis; larger ones through --partials-dir. */
export const DEFAULT_INLINE_LIMIT = 64 << 20;

export interface ShardJobData {
  plan: string;
  shard: number;
  /** Where partials over the inline limit go (shared storage the planning run reads), or null. */
  partialsDir: string | null;
  inlineLimit: number;
}

/** What a shard job returns: where its partial is. */
export interface ShardJobResult {
  shard: number;
  bytes: number;
  redisKey?: string;
  file?: string;
}

/** A redis:// URL as ioredis takes it, checked (rediss:// for TLS). */
export function parseRedisUrl(text: string): URL {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new UsageError(`--queue expects a Redis URL such as redis://127.0.0.1:6379/0, got '${text.length > 60 ? `${text.slice(0, 60)}...` : text}'`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new UsageError(`--queue expects a redis:// or rediss:// URL, got ${u.protocol}//...`);
  if (u.pathname.length > 1 && !/^\/\d+$/.test(u.pathname)) throw new UsageError(`--queue: the path of a Redis URL is a database number (redis://host:6379/0), got ${u.pathname}`);
  return u;
}

/** A connection BullMQ can share (no per-command retry limit), checked with a PING within 5 seconds. */
export async function connectRedis(url: string): Promise<Redis> {
  parseRedisUrl(url);
  const { Redis: IORedis } = await import('ioredis');
  const redis = new IORedis(url, { maxRetriesPerRequest: null, connectTimeout: 5000, lazyConnect: true, retryStrategy: (n: number) => (n > 20 ? null : Math.min(100 * n, 2000)) });
  redis.on('error', () => {}); // reported by the commands that fail
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([redis.connect().then(() => redis.ping()), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('no answer within 5 s')), 5000)))]);
  } catch (e) {
    redis.disconnect();
    throw new IoError(redactUrl(url), `cannot reach Redis: ${(e as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
  return redis;
}

/** The URL without a password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'redis://?';
  }
}

const planKey = (digest: string) => `aclreplay:plan:${digest}`;
const partialKey = (digest: string, shard: number) => `aclreplay:partial:${digest}:${shard}`;

export async function storePlan(redis: Redis, plan: ShardPlan): Promise<void> {
  await redis.set(planKey(plan.digest), JSON.stringify(plan), 'EX', PLAN_TTL);
}

/** The plan of a job, as the planning run stored it (null when it expired). */
export async function fetchPlanText(redis: Redis, digest: string): Promise<string | null> {
  return redis.get(planKey(digest));
}

/** An error across the queue: our errors keep class, code and exit status in the job's failedReason. */
export function errorReason(e: unknown): string {
  if (e instanceof AclReplayError) return `aclreplay:${JSON.stringify(errorFields(e))}`;
  return String((e as Error)?.message ?? e);
}

export function errorFromReason(reason: string, shard: number): AclReplayError {
  if (reason.startsWith('aclreplay:')) {
    try {
      return errorFromFields(JSON.parse(reason.slice(10)) as ErrorFields);
    } catch {
      // fall through
    }
  }
  return new ShardError(`shard ${shard}`, `failed on a worker: ${reason.split('\n')[0]}`);
}

/** Keep a worker's partial: in Redis when small enough, else in the shared directory the run named. */
export async function keepPartial(redis: Redis, data: ShardJobData, frames: Uint8Array[]): Promise<ShardJobResult> {
  const bytes = frames.reduce((n, f) => n + f.length, 0);
  if (bytes <= data.inlineLimit) {
    const key = partialKey(data.plan, data.shard);
    await redis.set(key, Buffer.concat(frames), 'EX', PARTIAL_TTL);
    return { shard: data.shard, bytes, redisKey: key };
  }
  if (!data.partialsDir) {
    throw new ShardError(`shard ${data.shard}`, `its partial is ${bytes} bytes, over the ${data.inlineLimit}-byte limit for Redis values: give the run --partials-dir on storage the workers and the run share`);
  }
  const file = join(data.partialsDir, `${data.plan.slice(7, 23)}-${data.shard}.bin`);
  const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    mkdirSync(data.partialsDir, { recursive: true });
    writeFileSync(tmp, Buffer.concat(frames));
    renameSync(tmp, file); // a reader never sees half a partial, and a second run of the shard replaces it whole
  } catch (e) {
    throw new IoError(file, (e as Error).message.split('\n')[0] ?? 'write failed');
  }
  return { shard: data.shard, bytes, file };
}

/** The framed bytes of a kept partial (Redis) or its file's path. */
export async function fetchPartial(redis: Redis, r: ShardJobResult): Promise<{ bytes: Uint8Array } | { file: string }> {
  if (r.file) return { file: r.file };
  const b = await redis.getBuffer(r.redisKey!);
  if (!b) throw new ShardError(`shard ${r.shard}`, `its partial is gone from Redis (${r.redisKey}; kept for ${PARTIAL_TTL / 3600} hours)`);
  return { bytes: b };
}

export async function dropPartials(redis: Redis, results: readonly ShardJobResult[]): Promise<void> {
  const keys = results.map((r) => r.redisKey).filter((k): k is string => k !== undefined);
  for (let i = 0; i < keys.length; i += 512) await redis.del(...keys.slice(i, i + 512));
}

/** A job's shard number, from its data. */
export function jobShard(job: Job<ShardJobData>): number {
  return job.data.shard;
}
