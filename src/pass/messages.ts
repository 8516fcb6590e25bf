/**
 * What crosses between the main thread and the workers of a capture pass, declared once: the pass set-up (sent to
 * each worker once, when the pool starts), one task per chunk, and the worker's reply (an encoded ChunkPartial or
 * the error that stopped it).
 */
import type { PcapFileHeader } from '../capture/pcap.js';
import type { PcapngSection } from '../capture/pcapng.js';
import type { ReplaySpec } from '../verdict/spec.js';
import type { DecodeOptionsInput } from '../decode/options.js';
import type { DuplicateFilterOptions } from '../decode/duplicates.js';

/** The reader state a chunk starts in. */
export type ChunkContext = { format: 'pcap'; header: PcapFileHeader } | { format: 'pcapng'; section: PcapngSection | null; lastSec?: number; lastNsec?: number };

/** Which analyses every chunk of a pass runs besides counting. */
export interface ChunkOptions {
  /** Observe connections (flows, clients, diagnose, replay); `info` only counts. */
  flows: boolean;
  batchSize?: number;
  /** Tunnels and mirrors (default: decap auto). */
  decode?: DecodeOptionsInput;
  /** Drop packets mirrored twice with a DuplicateFilter of these options (null: keep them). */
  dedupe?: DuplicateFilterOptions | null;
}

/** Sent to every worker once (piscina workerData): the options and the compiled candidates, in shared memory. */
export interface PassSetup {
  options: ChunkOptions;
  /** Candidate ACLs to judge every packet against (implies flows), or null. */
  spec: ReplaySpec | null;
}

/** One unit of work for a worker: a byte range of the capture (and its bytes when they cannot be re-read). */
export interface ChunkTask {
  chunk: number;
  file: string;
  /** Where reading starts: a record boundary, or (with `resync`) a cut point to find the next boundary from. */
  start: number;
  /** End of the bytes the reader may read (a record may run past stopAt up to here). */
  end: number;
  /** The chunk holds the records starting before this offset (Infinity: every record up to `end`). */
  stopAt: number;
  /** `start` is not known to be a record boundary: find one (classic pcap only; see src/capture/resync.ts). */
  resync: boolean;
  /** With resync: seconds of the capture's first record (what a plausible timestamp is near). */
  firstTs: number;
  bytes: Uint8Array | null;
  context: ChunkContext;
  /** Where the duplicate filter's warm-up (the window before the chunk) comes from; null: none (no dedupe, chunk 0). */
  warm: WarmPlan | null;
  /**
   * With `bytes`: the records after the chunk that its look ahead judges (src/decode/duplicates.ts), as the walk found
   * them; null: none. Without `bytes` the worker reads them from the file.
   */
  aheadBytes: Uint8Array | null;
}

/**
 * The records a chunk's duplicate filter is warmed with (src/pass/lookback.ts). `records`: the walk found them, they
 * start at `from` (a record boundary; `from` = the chunk's start when there are none) in `context`, and `bytes` holds
 * them when the input cannot be re-read. `anchors`: a file cut at offsets; the worker walks back from the start of an
 * earlier chunk (cut k at first + k * every; chunk 0 starts at `first`) in the task's context, a claim the pass then
 * checks against the start and the reader state it proved, or from `proven` starts and `provenContexts` (chunk k's
 * at index k) when the pass already knows them.
 */
export type WarmPlan =
  | { kind: 'records'; from: number; context: ChunkContext; bytes: Uint8Array | null }
  | { kind: 'anchors'; first: number; every: number; proven: number[] | null; provenContexts: ChunkContext[] | null };

/** A worker's error, with what the main thread needs to raise the same error again. */
export interface ChunkFailure {
  failure: { name: string; code: string; exitCode: number; detail: string; file?: string; offset?: number; line?: number; path?: string };
}
