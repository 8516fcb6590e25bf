/**
 * The capture pass every command uses: the main thread cuts the capture into chunks at record boundaries, workers
 * (or this thread, with one job) decode them into partials, and the partials are merged in file order.
 */
import os from 'node:os';
import { openCapture, type OpenedCapture, type OpenOptions } from '../capture/open.js';
import { Problems } from '../capture/problems.js';
import { cutChunks, type ChunkOptions, type ChunkTask } from './chunker.js';
import { runChunk } from './chunk.js';
import { decodePartial, type Partial } from './partial.js';
import { CaptureMerge } from './merge.js';
import type { WorkerPool } from './pool.js';
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
  replay?: import('./scenario.js').ReplaySpec | null;
  /** Tunnels and mirrors (default: decap auto). */
  decode?: import('../decode/options.js').DecodeOptionsInput;
  /** Drop packets mirrored twice (see ChunkOptions.dedupe). */
  dedupe?: import('../decode/duplicates.js').DuplicateFilterOptions | null;
  /** Sees every decoded batch, in file order (forces one job: batches do not leave their thread). */
  batchSink?: (batch: import('../decode/batch.js').PacketBatch) => void;
}

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
  let jobs = opts.batchSink ? 1 : (opts.jobs ?? defaultJobs());
  const scanProblems = new Problems(0); // the workers report problems; the walk only finds boundaries
  const opened = await openCapture(file, scanProblems, { ...opts, tee: true });
  // A small file gains nothing from threads; one job reads a plain file as a single chunk, without a walk.
  if (opened.seekable && opened.size <= (opts.chunkBytes ?? DEFAULT_CHUNK_BYTES)) jobs = 1;
  const chunkBytes = opts.chunkBytes ?? (jobs === 1 && opened.seekable ? Infinity : DEFAULT_CHUNK_BYTES);
  const merge = new CaptureMerge();
  const options: ChunkOptions = { flows: opts.flows ?? true, replay: opts.replay ?? null, decode: opts.decode ?? {}, dedupe: opts.dedupe ?? null };
  const total = opened.size;
  const progress = opts.onProgress ? (done: number) => opts.onProgress!(done, total) : undefined;
  let chunks = 0;
  // piscina is loaded only when there are workers to run.
  const pool = jobs > 1 ? new (await import('./pool.js')).WorkerPool(jobs) : null;
  try {
    if (!pool) {
      for await (const task of cutChunks(opened, chunkBytes, options, progress)) {
        merge.add(await runChunk(task, opts.batchSink));
        chunks++;
      }
    } else {
      // Partials complete out of order; merge them in order, with a bounded number in flight.
      const inFlight = new Map<number, Promise<Partial>>();
      const limit = jobs * 3;
      let next = 0;
      const drainOne = async () => {
        const p = inFlight.get(next)!;
        inFlight.delete(next);
        merge.add(await p);
        next++;
      };
      for await (const task of cutChunks(opened, chunkBytes, options, progress)) {
        inFlight.set(task.chunk, dispatch(pool, task));
        chunks++;
        while (inFlight.size >= limit) await drainOne();
      }
      while (inFlight.size > 0) await drainOne();
    }
    merge.finish();
    // A broken gzip stream is found by the walk, not by the chunk that then ends early: report why it ended.
    for (const e of opened.streamProblems) merge.problems.add(e.kind, e.offset, e.message);
  } finally {
    opened.reader.close();
    if (pool) await pool.close();
  }
  return { opened, merge, chunks };
}

function dispatch(pool: WorkerPool, task: ChunkTask): Promise<Partial> {
  const p = pool.run(task).then(decodePartial, (err: unknown) => {
    throw err instanceof AclReplayError ? err : new InternalError(`worker failed on chunk ${task.chunk} [${task.start}, ${task.end}): ${(err as Error)?.message ?? err}`);
  });
  p.catch(() => {}); // observed when merged; avoid an unhandled rejection while earlier chunks are awaited
  return p;
}
