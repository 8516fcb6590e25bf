/**
 * The shard plan (`aclreplay plan -o plan.json`): the engine-neutral contract between the machine that plans, the
 * machines that work on shards and the one that merges. It holds the command and its answer options as typed, the
 * directory they are relative to, the inputs with a fingerprint of each, the shards (byte ranges, with how each
 * start was found), and a digest of the compiled candidates; its own digest ties every partial to it.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { z } from 'zod';
import { readInputText } from '../acl/input.js';
import { IoError, ShardError } from '../errors.js';

export const PLAN_VERSION = 1;

import { PLAN_COMMANDS, type PlanCommand } from './commands.js';

export { PLAN_COMMANDS, type PlanCommand };

/**
 * How a shard's start was found at planning time. It is only a claim until the merge proves it: a shard is merged
 * only when it starts exactly where the previous shard's reader stopped, in the same reader state; otherwise the
 * merge reads it again from there (src/pass/engine.ts ProvenMerge).
 */
export type BoundaryMethod =
  /** The first shard: the file's first record (pcap) or its first block (pcapng). */
  | 'file-start'
  /** The first offset at or after the cut where CHAIN_RECORDS plausible pcap record headers chain. */
  | 'pcap-record-chain'
  /** The first aligned offset at or after the cut where plausible pcapng blocks chain. */
  | 'pcapng-block-chain'
  /** No plausible boundary before the next cut (one record spans the range): the shard holds no record start. */
  | 'none-in-range'
  /** A flow-log file read whole. */
  | 'whole-file'
  /** A flow-log text file cut after the first newline at or after the cut. */
  | 'line';

export interface PlannedShard {
  shard: number;
  /** Index into `inputs` (flow logs: the first file of the shard). */
  input: number;
  /** Flow logs read whole: the input indexes of the shard's files, in reading order. */
  files?: number[];
  /** Where the plan cut. */
  cut: number;
  /** The boundary found at or after the cut (-1: none before stopAt). */
  start: number;
  /** The shard holds the records starting before this offset (null: every record to the end of the file). */
  stopAt: number | null;
  /** How `start` was found, and what was checked. */
  boundary: { method: BoundaryMethod; detail: string };
}

export interface PlannedInput {
  /** As given on the command line, relative to `cwd`: the name every report prints. */
  name: string;
  size: number;
  /** sha256 of the size and the first and last 64 KiB: an input changed since the plan is refused. */
  fingerprint: string;
  /** pcap, pcapng, or a flow-log format. */
  format: string;
}

export interface ShardPlan {
  aclreplay: 'shard-plan';
  version: number;
  /** sha256 of everything else in the plan (canonical JSON); every partial carries it. */
  digest: string;
  command: PlanCommand;
  /** The directory the inputs and options are relative to: workers and the merge run there. */
  cwd: string;
  kind: 'capture' | 'flow-logs';
  inputs: PlannedInput[];
  /** The command's arguments as typed: the traffic and the answer options (not output options: the merge takes those). */
  args: string[];
  /** The compiled candidate ACLs: digest of the tables, their ids, scenario count; null without candidates. */
  candidates: { digest: string; acls: string[]; scenarios: number } | null;
  /** Flow logs: files found in directories that are not flow logs (the summary lists them). */
  skipped?: { file: string; reason: string }[];
  /** Bytes of input per shard: every cut is this far after the previous one (the first cut is the first record). */
  shardBytes: number;
  shards: PlannedShard[];
}

const ShardSchema = z.object({
  shard: z.number().int().nonnegative(),
  input: z.number().int().nonnegative(),
  files: z.array(z.number().int().nonnegative()).optional(),
  cut: z.number().int().nonnegative(),
  start: z.number().int().min(-1),
  stopAt: z.number().int().nonnegative().nullable(),
  boundary: z.object({ method: z.enum(['file-start', 'pcap-record-chain', 'pcapng-block-chain', 'none-in-range', 'whole-file', 'line']), detail: z.string() }),
});

const PlanSchema = z.object({
  aclreplay: z.literal('shard-plan'),
  version: z.number().int(),
  digest: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  command: z.enum(PLAN_COMMANDS),
  cwd: z.string().min(1),
  kind: z.enum(['capture', 'flow-logs']),
  inputs: z.array(z.object({ name: z.string().min(1), size: z.number().int().nonnegative(), fingerprint: z.string(), format: z.string() })).min(1),
  args: z.array(z.string()),
  candidates: z.object({ digest: z.string(), acls: z.array(z.string()), scenarios: z.number().int().nonnegative() }).nullable(),
  skipped: z.array(z.object({ file: z.string(), reason: z.string() })).optional(),
  shardBytes: z.number().int().positive(),
  shards: z.array(ShardSchema).min(1).max(1 << 20),
});

/** JSON with object keys sorted at every level: the same plan always hashes the same. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** The digest of a plan: sha256 of its canonical JSON without the digest field. */
export function planDigest(plan: Omit<ShardPlan, 'digest'> & { digest?: string }): string {
  const { digest: _ignored, ...rest } = plan;
  return `sha256:${createHash('sha256').update(canonicalJson(rest)).digest('hex')}`;
}

/** A plan with its digest filled in. */
export function sealPlan(plan: Omit<ShardPlan, 'digest'>): ShardPlan {
  const { aclreplay, version, ...rest } = plan;
  // The digest third, after what the file is, so a reader sees it at the top.
  const sealed: ShardPlan = { aclreplay, version, digest: '', ...rest };
  sealed.digest = planDigest(sealed);
  return sealed;
}

export function writePlan(file: string, plan: ShardPlan): void {
  try {
    writeFileSync(file, `${JSON.stringify(plan, null, 2)}\n`);
  } catch (e) {
    throw new IoError(file, (e as Error).message);
  }
}

/** Read and check a plan: its shape, its version, its digest, and that the shards are numbered 0..n-1 in order. */
export function readPlan(file: string): ShardPlan {
  return parsePlan(readInputText(file, { what: 'a shard plan', maxBytes: 256 << 20 }), file);
}

/** Check a plan's text (from a file or a queue); `file` names it in messages. */
export function parsePlan(text: string, file: string): ShardPlan {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ShardError(file, `not a shard plan: ${(e as Error).message}`);
  }
  if (doc === null || typeof doc !== 'object' || (doc as { aclreplay?: unknown }).aclreplay !== 'shard-plan') throw new ShardError(file, 'not a shard plan (written by aclreplay plan -o plan.json)');
  if ((doc as { version?: unknown }).version !== PLAN_VERSION) throw new ShardError(file, `shard plan of version ${String((doc as { version?: unknown }).version)}; this aclreplay reads version ${PLAN_VERSION}`);
  const parsed = PlanSchema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ShardError(file, `not a valid shard plan: ${issue.message}`, { path: issue.path.join('.') || '(top)' });
  }
  const plan = parsed.data as ShardPlan;
  if (planDigest(plan) !== plan.digest) throw new ShardError(file, 'the plan was changed after it was made (its digest does not match its content): make it again with aclreplay plan');
  plan.shards.forEach((s, i) => {
    if (s.shard !== i) throw new ShardError(file, `shard ${i} is numbered ${s.shard}`, { path: `shards.${i}.shard` });
    if (s.input >= plan.inputs.length) throw new ShardError(file, `shard ${i} names input ${s.input}; the plan has ${plan.inputs.length}`, { path: `shards.${i}.input` });
  });
  return plan;
}
