/**
 * Shards of a capture: one shard is one chunk of the pass (src/pass/chunk.ts), read by whichever machine works on
 * it, and the merge is the pass's own ordered, proven merge over the shards' partials. So a sharded run is the
 * capture pass with chunks the size of shards, and gives the same answer byte for byte.
 */
import { resolve } from 'node:path';
import { openCapture } from '../capture/open.js';
import { Problems } from '../capture/problems.js';
import { ChunkRunner } from '../pass/chunk.js';
import { decodePartial, encodePartial, PARTIAL_VERSION } from '../pass/codec.js';
import { CaptureMerge } from '../pass/merge.js';
import { ProvenMerge, type PassOptions, type PassResult, type PassRunner, type StartProof } from '../pass/engine.js';
import type { ChunkTask, PassSetup } from '../pass/messages.js';
import type { ReplaySpec } from '../verdict/spec.js';
import { InternalError, ShardError, UsageError } from '../errors.js';
import { captureOrigin, type CaptureOrigin } from './cut.js';
import { inputFingerprint, valueDigest } from './fingerprint.js';
import type { ShardPlan } from './manifest.js';
import { FLOWLOG_PARTIAL_VERSION } from './commands.js';
import { framePartial, type PartialRef } from './partial-file.js';

/**
 * The chunk task of shard `k`: its range, the reader context it resumes (checked at the merge) and, when mirrored
 * copies are dropped, how its duplicate filter warms up from the records before it (src/pass/lookback.ts), exactly
 * as a chunk of the pass cut at the same offsets.
 */
export function shardTask(plan: ShardPlan, k: number, origin: CaptureOrigin, dedupe: boolean): ChunkTask {
  const s = plan.shards[k]!;
  const file = plan.inputs[s.input]!.name;
  const initial = k === 0 && origin.context.format === 'pcapng' ? { format: 'pcapng' as const, section: null } : origin.context;
  const warm = dedupe && k > 0 ? { kind: 'anchors' as const, first: origin.first, every: plan.shardBytes, proven: null, provenContexts: null } : null;
  return { chunk: k, file, start: s.start >= 0 ? s.start : s.cut, end: origin.size, stopAt: s.stopAt ?? Infinity, resync: s.start < 0, firstTs: origin.firstTs, bytes: null, context: initial, warm, aheadBytes: null };
}

/** The decoding options of the plan's command (its --decap, --vxlan-port, --keep-duplicates), as the pass takes them. */
export interface ShardDecoding {
  decode: PassOptions['decode'];
  dedupe: PassOptions['dedupe'];
}

export function setupFor(plan: ShardPlan, spec: ReplaySpec | null, d: ShardDecoding): PassSetup {
  return { options: { flows: planFlows(plan), decode: d.decode ?? {}, dedupe: d.dedupe === undefined ? {} : d.dedupe }, spec };
}

/** Refuse an input that is not what the plan was made on; `root` (a worker's) resolves the plan's relative names. */
export function checkInput(plan: ShardPlan, planFile: string, index: number, root = ''): void {
  const want = plan.inputs[index]!;
  const got = inputFingerprint(root ? resolve(root, want.name) : want.name);
  if (got.size !== want.size || got.fingerprint !== want.fingerprint) {
    throw new ShardError(planFile, `${want.name} changed since the plan was made (${got.size === want.size ? 'same size, different content' : `${got.size} bytes, the plan has ${want.size}`}): make the plan again`);
  }
}

/** Refuse candidates that compile to other tables than the plan's (an ACL file changed since). */
export function checkCandidates(plan: ShardPlan, planFile: string, spec: ReplaySpec | null): void {
  const want = plan.candidates?.digest ?? null;
  const got = spec ? valueDigest(spec) : null;
  if (want === got) return;
  if (!want || !got) throw new InternalError(`the plan ${want ? 'has' : 'has no'} candidates and this run ${got ? 'has' : 'has none'}`);
  throw new ShardError(planFile, `the candidate ACLs compile differently here than when the plan was made (digest ${got.slice(7, 19)}..., the plan's ${want.slice(7, 19)}...): an ACL file changed; make the plan again`);
}

/** Whether the plan's command observes connections (`info` only counts). */
export function planFlows(plan: ShardPlan): boolean {
  return plan.command !== 'info';
}

/**
 * What working on shard `k` of a capture plan takes: the pass set-up (candidates, decoding) and the shard's chunk
 * task; checked against the plan first (candidates, input). `root` (a queue worker's) makes the input's path
 * absolute, so shards of plans made in different directories can run side by side.
 */
export async function prepareCaptureShard(plan: ShardPlan, planFile: string, k: number, spec: ReplaySpec | null, decoding: ShardDecoding, root = ''): Promise<{ setup: PassSetup; task: ChunkTask }> {
  if (!Number.isInteger(k) || k < 0 || k >= plan.shards.length) throw new UsageError(`--shard ${k}: the plan has shards 0 to ${plan.shards.length - 1}`);
  checkCandidates(plan, planFile, spec);
  const s = plan.shards[k]!;
  checkInput(plan, planFile, s.input, root);
  const name = plan.inputs[s.input]!.name;
  const origin = await captureOrigin(root ? resolve(root, name) : name);
  const setup = setupFor(plan, spec, decoding);
  const task = shardTask(plan, k, origin, setup.options.dedupe != null);
  if (root) task.file = resolve(root, name);
  return { setup, task };
}

/** A shard's encoded partial (src/pass/codec.ts) framed for a file or a queue value. */
export function frameCapturePartial(plan: ShardPlan, k: number, encoded: Uint8Array): Buffer[] {
  return framePartial({ plan: plan.digest, shard: k, shards: plan.shards.length, codec: PARTIAL_VERSION, kind: 'capture' }, encoded);
}

/** Work on shard `k` of a capture plan in this thread: its partial, framed. */
export async function runCaptureShard(plan: ShardPlan, planFile: string, k: number, spec: ReplaySpec | null, decoding: ShardDecoding): Promise<Buffer[]> {
  const { setup, task } = await prepareCaptureShard(plan, planFile, k, spec, decoding);
  return frameCapturePartial(plan, k, encodePartial(await new ChunkRunner(setup, false).run(task)));
}

/**
 * Check a set of partials against the plan before anything is decoded: each from this plan, of this kind and
 * codec, every shard exactly once. Returns them in shard order.
 */
export function orderPartials(plan: ShardPlan, planFile: string, parts: PartialRef[]): PartialRef[] {
  const byShard: (PartialRef | undefined)[] = new Array(plan.shards.length);
  for (const p of parts) {
    const h = p.header;
    if (h.plan !== plan.digest) throw new ShardError(p.name, `a partial of another plan (${h.plan.slice(7, 19)}...; ${planFile} is ${plan.digest.slice(7, 19)}...)`);
    if (h.shards !== plan.shards.length || h.shard < 0 || h.shard >= plan.shards.length) throw new ShardError(p.name, `shard ${h.shard} of ${h.shards}; the plan has ${plan.shards.length} shards`);
    if (h.kind !== plan.kind) throw new ShardError(p.name, `a ${h.kind} partial; the plan is for ${plan.kind}`);
    const codec = plan.kind === 'capture' ? PARTIAL_VERSION : FLOWLOG_PARTIAL_VERSION;
    if (h.codec !== codec) throw new ShardError(p.name, `a partial of codec version ${h.codec}; this aclreplay reads version ${codec}: work on the shard again with this version`);
    const prev = byShard[h.shard];
    if (prev) throw new UsageError(`shard ${h.shard} is given twice (${prev.name} and ${p.name}): give each shard's partial once`);
    byShard[h.shard] = p;
  }
  const missing: number[] = [];
  for (let i = 0; i < plan.shards.length; i++) if (byShard[i] === undefined) missing.push(i);
  if (missing.length > 0) {
    const list = missing.slice(0, 8).join(', ') + (missing.length > 8 ? ` and ${missing.length - 8} more` : '');
    throw new UsageError(`${missing.length} of ${plan.shards.length} shards have no partial (shard${missing.length === 1 ? '' : 's'} ${list}): run aclreplay work ${planFile} --shard ${missing[0]} -o part-${missing[0]}.bin for each`);
  }
  return byShard as PartialRef[];
}

/** A shard whose start did not prove out and was read again at the merge. */
export interface Reread {
  shard: number;
  claimed: number;
}

/**
 * Fold a plan's partials (in shard order, fetched one at a time) into `merge`, each start proven; a shard whose
 * start does not prove out is read again here with `setup`.
 */
export async function mergeShards(plan: ShardPlan, origin: CaptureOrigin, setup: PassSetup, merge: CaptureMerge, partials: (shard: number) => Promise<Uint8Array>, onReread?: (r: Reread, proof: StartProof) => void): Promise<void> {
  let local: ChunkRunner | null = null;
  const redo = (task: ChunkTask) => {
    local ??= new ChunkRunner(setup, true);
    return local.run(task);
  };
  const proven = new ProvenMerge(merge, true, redo);
  for (let k = 0; k < plan.shards.length; k++) {
    const task = shardTask(plan, k, origin, setup.options.dedupe != null);
    const partial = decodePartial(await partials(k));
    if (partial.chunk !== k) throw new ShardError(`shard ${k}`, `holds the partial of chunk ${partial.chunk}`);
    const proof = await proven.add(task, partial);
    if (proof === 'reread' || proof === 'reread-anchor') onReread?.({ shard: k, claimed: partial.startOffset }, proof);
  }
  merge.finish();
}

/**
 * The capture pass of a plan, from its partials (in shard order, fetched one at a time): the same PassResult the
 * pass gives when it reads the capture itself. `onReread` hears of every shard read again here.
 */
export function shardPass(plan: ShardPlan, planFile: string, partials: (shard: number) => Promise<Uint8Array>, onReread?: (r: Reread, proof: StartProof) => void): PassRunner {
  return async (file: string, opts: PassOptions): Promise<PassResult> => {
    const input = plan.inputs[0]!;
    if (file !== input.name) throw new InternalError(`the merge was asked for ${file}; the plan is for ${input.name}`);
    const spec = opts.replay ?? null;
    checkCandidates(plan, planFile, spec);
    checkInput(plan, planFile, 0);
    const origin = await captureOrigin(file);
    const opened = await openCapture(file, new Problems(0), {});
    const merge = new CaptureMerge();
    try {
      await mergeShards(plan, origin, setupFor(plan, spec, { decode: opts.decode, dedupe: opts.dedupe }), merge, partials, onReread);
    } finally {
      opened.reader.close();
    }
    return { opened, merge, chunks: plan.shards.length };
  };
}
