/**
 * The capture pass every command uses: the main thread cuts the capture into chunks at record boundaries, workers
 * (or this thread, with one job) decode them into partials, and the partials are merged in file order.
 */
import os from 'node:os';
import { openCapture, type OpenedCapture, type OpenOptions } from '../capture/open.js';
import { FileSource } from '../capture/source.js';
import type { PcapReader } from '../capture/pcap.js';
import { PcapngReader } from '../capture/pcapng.js';
import { RECORD, END } from '../capture/reader.js';
import { Problems } from '../capture/problems.js';
import { cutChunks, sectionSnapshot, snapshot } from './chunker.js';
import { ChunkRunner } from './chunk.js';
import { decodePartial } from './codec.js';
import type { ChunkPartial } from './columns.js';
import type { ChunkContext, ChunkTask, PassSetup } from './messages.js';
import { CaptureMerge } from './merge.js';
import type { WorkerPool } from './pool.js';
import type { ReplaySpec } from '../verdict/spec.js';
import type { PacketBatch } from '../decode/batch.js';
import { DEFAULT_DUPLICATE_WINDOW } from '../decode/duplicates.js';
import { AclReplayError, InternalError } from '../errors.js';

export interface PassOptions extends OpenOptions {
  /** Worker threads; 1 runs every chunk on the calling thread. Default: available parallelism. */
  jobs?: number;
  /** Target chunk size in bytes (default 16 MiB). */
  chunkBytes?: number;
  /** Observe connections (flows, clients, diagnose, replay); `info` only counts. */
  flows?: boolean;
  /** Called with (bytes read so far, total bytes or -1). */
  onProgress?: (done: number, total: number) => void;
  /** Candidate ACLs to judge every packet against. */
  replay?: ReplaySpec | null;
  /** Tunnels and mirrors (default: decap auto). */
  decode?: import('../decode/options.js').DecodeOptionsInput;
  /** Drop packets mirrored twice (see ChunkOptions.dedupe); default on, null keeps every copy. */
  dedupe?: import('../decode/duplicates.js').DuplicateFilterOptions | null;
  /** Sees every decoded batch, in file order (forces one job: batches do not leave their thread). */
  batchSink?: (batch: PacketBatch) => void;
  /** Runs the pass another way with the same result: from shard partials (src/shard/). */
  runner?: PassRunner;
}

/** A pass run another way than reading the capture here: the same result for the same file and options. */
export type PassRunner = (file: string, opts: PassOptions) => Promise<PassResult>;

export const DEFAULT_CHUNK_BYTES = 16 << 20;

/**
 * Worker threads when -j is not given: one less than the cores (the main thread walks the record headers and
 * merges partials on its own core), at most 8. On a 2-core machine that is 1, which runs in-process without a walk:
 * measured on this project's 2-core VM, `flows -j 1` beats `-j 2` (1.6 s vs 1.9 s on 2 M packets; `info` 0.5 s vs
 * 0.8 s on 750 MB), because two workers plus the main thread compete for two cores.
 */
export function defaultJobs(): number {
  const cores = os.availableParallelism?.() ?? os.cpus().length;
  return Math.max(1, Math.min(8, cores - 1));
}

/** What a pass yields: the opened capture (format, sections) and the merged partials. */
export interface PassResult {
  opened: OpenedCapture;
  merge: CaptureMerge;
  chunks: number;
}

/** Run the pass over `file` ('-' for stdin). */
export async function runPass(file: string, opts: PassOptions = {}): Promise<PassResult> {
  if (opts.runner) return opts.runner(file, opts);
  let jobs = opts.batchSink ? 1 : (opts.jobs ?? defaultJobs());
  const scanProblems = new Problems(0); // the workers report problems; the walk only finds boundaries
  const opened = await openCapture(file, scanProblems, { ...opts, tee: true });
  // A small file gains nothing from threads; one job reads a plain file as a single chunk, without a walk.
  if (opened.seekable && opened.size <= (opts.chunkBytes ?? DEFAULT_CHUNK_BYTES)) jobs = 1;
  const chunkBytes = opts.chunkBytes ?? (jobs === 1 && opened.seekable ? Infinity : DEFAULT_CHUNK_BYTES);
  const merge = new CaptureMerge();
  const setup: PassSetup = { options: { flows: opts.flows ?? true, decode: opts.decode ?? {}, dedupe: opts.dedupe === undefined ? {} : opts.dedupe }, spec: opts.replay ?? null };
  const total = opened.size;
  const progress = opts.onProgress ? (done: number) => opts.onProgress!(done, total) : undefined;
  let chunks = 0;
  // A plain pcap file read by workers is cut at fixed offsets, without reading it here; each worker finds the
  // record boundary after its cut point and every boundary is proven against where the previous chunk stopped.
  const byOffsets = jobs > 1 && opened.seekable && Number.isFinite(chunkBytes);
  // piscina is loaded only when there are workers to run.
  const pool = jobs > 1 ? new (await import('./pool.js')).WorkerPool(jobs, setup) : null;
  const runner = pool ? null : new ChunkRunner(setup, true);
  const run = (task: ChunkTask) => (pool ? dispatch(pool, task) : runner!.run(task, opts.batchSink));
  try {
    const dedupe = setup.options.dedupe;
    const tasks = byOffsets ? cutAtOffsets(opened, chunkBytes, dedupe != null) : cutChunks(opened, chunkBytes, progress, dedupe ? (dedupe.windowSeconds ?? DEFAULT_DUPLICATE_WINDOW) : null);
    // Partials complete out of order; merge them in order, with a bounded number in flight.
    const inFlight = new Map<number, { task: ChunkTask; partial: Promise<ChunkPartial> }>();
    const limit = pool ? jobs * 3 : 1;
    const ordered = new ProvenMerge(merge, byOffsets, run);
    let next = 0;
    const drainOne = async () => {
      const { task, partial } = inFlight.get(next)!;
      inFlight.delete(next);
      next++;
      await ordered.add(task, partial);
      if (byOffsets) progress?.(Math.min(task.stopAt, opened.size));
    };
    for await (const task of tasks) {
      inFlight.set(task.chunk, { task, partial: run(task) });
      chunks++;
      while (inFlight.size >= limit) await drainOne();
    }
    while (inFlight.size > 0) await drainOne();
    merge.finish();
    // A broken gzip stream is found by the walk, not by the chunk that then ends early: report why it ended, first.
    for (const e of opened.streamProblems) merge.problems.addFirst(e.kind, e.offset, e.message);
  } finally {
    opened.reader.close();
    if (pool) await pool.close();
  }
  return { opened, merge, chunks };
}

/** How a chunk's start was proven when it was merged. */
export type StartProof =
  /** The first chunk: it starts where the file's first record (or block) is. */
  | 'file-start'
  /** Exactly where the previous chunk's reader stopped, in the same reader state. */
  | 'previous-stop'
  /** Not where the previous chunk stopped (or not in its state): read again from there. */
  | 'reread'
  /** Where the previous chunk stopped, but its duplicate filter warmed up from a wrong earlier start: read again. */
  | 'reread-anchor'
  /** After a problem that stopped reading: not merged, as one reader would not read it. */
  | 'after-stop';

/**
 * Folds chunk partials in file order. With `byOffsets` (chunks cut at offsets, each finding its own start), each
 * chunk's claimed start is proven against where the true chain of records reached: the previous chunk's stop
 * offset, in the reader state it stopped in; a chunk that disagrees (payload that looked like record headers, a
 * chunk inside one huge record, an interface defined in the previous chunk) is read again by `redo` from that
 * boundary in that state.
 */
export class ProvenMerge {
  /** Where the previous chunk's reader stopped: the record boundary the next chunk must start at. */
  private boundary = -1;
  /** The reader state it stopped in (pcapng: the section and its interfaces). */
  private state: ChunkContext | null = null;
  /** Per chunk: the first record at or after its cut, and the reader state there (proven). */
  private readonly proven: number[] = [];
  private readonly provenStates: ChunkContext[] = [];
  /** A chunk's reader stopped at a problem: nothing after it is read (as one reader would). */
  private stopped = false;

  constructor(
    readonly merge: CaptureMerge,
    private readonly byOffsets: boolean,
    private readonly redo: (task: ChunkTask) => Promise<ChunkPartial>,
  ) {}

  /** Merge the next chunk (tasks in order); how its start was proven. */
  async add(task: ChunkTask, partial: ChunkPartial | Promise<ChunkPartial>): Promise<StartProof> {
    let p = await partial;
    if (this.stopped) return 'after-stop';
    let proof: StartProof = 'file-start';
    if (this.byOffsets) {
      if (task.chunk === 0) {
        this.boundary = task.start;
        this.state = task.context;
      } else proof = 'previous-stop';
      const agrees = (p.startOffset === this.boundary || (p.startOffset < 0 && this.boundary >= task.stopAt)) && sameContext(task.context, this.state!, p.inheritedTimestamp);
      this.proven[task.chunk] = this.boundary;
      this.provenStates[task.chunk] = this.state!;
      // The duplicate filter's look back walked from an earlier chunk's start as the worker found it, in the state
      // this chunk starts in (src/pass/lookback.ts): proven the same way.
      const a = p.warmAnchor;
      const anchored = a === null || (this.proven[a.chunk] === a.offset && sameContext(task.context, this.provenStates[a.chunk]!, a.inherited));
      if (!agrees || !anchored) {
        const warm = task.warm?.kind === 'anchors' ? { ...task.warm, proven: this.proven.slice(), provenContexts: this.provenStates.slice() } : task.warm;
        p = await this.redo({ ...task, start: this.boundary, resync: false, context: this.state!, warm });
        proof = agrees ? 'reread-anchor' : 'reread';
      }
      if (p.startOffset >= 0) {
        this.boundary = p.stopOffset;
        this.state = p.endContext;
      }
    }
    this.merge.add(p);
    if (p.stoppedEarly) this.stopped = this.byOffsets;
    return proof;
  }
}

/**
 * Tasks for a plain pcap file cut every `chunkBytes` bytes after its first record: chunk k holds the records that
 * start in [cut k, cut k + 1) (the first boundary at or after each cut, found by its worker). Nothing is read here
 * but the first record header (whose timestamp tells a plausible record header from payload).
 */
function* cutAtOffsets(opened: OpenedCapture, chunkBytes: number, dedupe: boolean): Generator<ChunkTask> {
  const { first, firstTs, context } = captureStart(opened);
  let chunk = 0;
  for (let cut = first; chunk === 0 || cut < opened.size; cut += chunkBytes) {
    const stopAt = cut + chunkBytes < opened.size ? cut + chunkBytes : Infinity;
    // The first chunk reads from the start in the initial state; the others resume `context` (checked at the merge).
    const initial: ChunkContext = chunk === 0 && context.format === 'pcapng' ? { format: 'pcapng', section: null } : context;
    const warm = dedupe && chunk > 0 ? { kind: 'anchors' as const, first, every: chunkBytes, proven: null, provenContexts: null } : null;
    yield { chunk, file: opened.file, start: chunk === 0 ? first : cut, end: opened.size, stopAt, resync: chunk > 0, firstTs, bytes: null, context: initial, warm, aheadBytes: null };
    chunk++;
  }
}

/**
 * Where a plain capture file's records start, the first record's seconds (pcap: what plausible record headers are
 * near) and the reader context a chunk cut later resumes.
 */
export function captureStart(opened: OpenedCapture): { first: number; firstTs: number; context: ChunkContext } {
  return opened.reader instanceof PcapngReader ? pcapngStart(opened.file) : pcapStart(opened.file, opened.reader as PcapReader);
}

/** A pcap file's first record offset, its timestamp (what plausible record headers are near) and the header context. */
function pcapStart(file: string, reader: PcapReader): { first: number; firstTs: number; context: ChunkContext } {
  const first = reader.offset;
  const head = new Uint8Array(16);
  const source = FileSource.open(file, first, first + 16);
  let got = 0;
  try {
    got = source.read(head, 0, 16);
  } finally {
    source.close();
  }
  const firstTs = got === 16 ? new DataView(head.buffer).getUint32(0, reader.header.littleEndian) : 0;
  return { first, firstTs, context: { format: 'pcap', header: reader.header } };
}

/**
 * A pcapng file starts at 0; later chunks resume the first section as it stands at its first packet block (its
 * byte order and interfaces): read here, up to that block.
 */
function pcapngStart(file: string): { first: number; firstTs: number; context: ChunkContext } {
  const reader = new PcapngReader(FileSource.open(file), file, new Problems(0), 0, null);
  try {
    for (;;) {
      const r = reader.next();
      if (r === RECORD || r === END) break;
      const g = reader.refill();
      if (typeof g !== 'number') throw new InternalError('a file source refilled asynchronously');
    }
    return { first: 0, firstTs: 0, context: snapshot(reader) };
  } finally {
    reader.close();
  }
}

/**
 * Two reader states equal in everything decoding depends on (not packet counts); with `timestamp`, also in the
 * previous packet's timestamp (a chunk whose Simple Packet Blocks took it).
 */
export function sameContext(a: ChunkContext, b: ChunkContext, timestamp = false): boolean {
  if (a.format === 'pcap' || b.format === 'pcap') return a.format === b.format;
  if (timestamp && ((a.lastSec ?? 0) !== (b.lastSec ?? 0) || (a.lastNsec ?? 0) !== (b.lastNsec ?? 0))) return false;
  return JSON.stringify(sectionSnapshot(a.section)) === JSON.stringify(sectionSnapshot(b.section));
}

function dispatch(pool: WorkerPool, task: ChunkTask): Promise<ChunkPartial> {
  const p = pool.run(task).then(decodePartial, (err: unknown) => {
    throw err instanceof AclReplayError ? err : new InternalError(`worker failed on chunk ${task.chunk} [${task.start}, ${task.end}): ${(err as Error)?.message ?? err}`);
  });
  p.catch(() => {}); // observed when merged; avoid an unhandled rejection while earlier chunks are awaited
  return p;
}
