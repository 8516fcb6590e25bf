/** Malformed input found while reading: counted per kind, the first few kept with offset and message. */

/** Stable problem kinds, in reading order: file framing first, then packet contents. */
export const PROBLEM_KINDS = [
  'bad-gzip',
  'truncated-record',
  'bad-block-length',
  'bad-block-trailer',
  'absurd-length',
  'caplen-exceeds-snaplen',
  'caplen-exceeds-origlen',
  'unknown-interface',
  'too-many-interfaces',
  'too-many-sections',
  'bad-option',
  'unsupported-section',
  'truncated-packet',
  'bad-link-header',
  'bad-ip-header',
  'bad-ipv6-extension',
  'bad-tcp-header',
  'bad-udp-header',
  'bad-icmp-header',
  // VPC flow logs (src/flowlogs/): a line that is not a record of its file's format; a compressed stream that
  // fails (an I/O problem: everything before it is kept); a Parquet row that cannot be read.
  'bad-flow-log-line',
  'bad-compressed-stream',
  'bad-parquet-row',
  // tunnels and mirrors (src/decode/parser.ts)
  'bad-tunnel-header',
  'too-many-encapsulations',
] as const;
export type ProblemKind = (typeof PROBLEM_KINDS)[number];

/** Index of each kind, for counting in a typed array. */
export const Problem: { readonly [K in ProblemKind]: number } = Object.fromEntries(
  PROBLEM_KINDS.map((k, i) => [k, i]),
) as { [K in ProblemKind]: number };

/** One reported problem, as it appears in `info -F json` (`kind`, `offset`, `message`). */
export interface ProblemRecord {
  kind: ProblemKind;
  offset: number;
  message: string;
  /** Flow logs: the file and (1-based) line of the record; a Parquet row counts as a line. */
  file?: string;
  line?: number;
}

/** How many detailed records a collector keeps; the rest are only counted. */
export const DEFAULT_DETAIL_LIMIT = 20;

/** Collector of problems; counting allocates nothing, only the kept details build strings. */
export class Problems {
  readonly counts = new Float64Array(PROBLEM_KINDS.length);
  readonly details: ProblemRecord[] = [];
  constructor(readonly detailLimit = DEFAULT_DETAIL_LIMIT) {}

  /** True when a detailed record for a new problem would still be kept (so the caller builds its message). */
  wantsDetail(): boolean {
    return this.details.length < this.detailLimit;
  }

  /** Count a problem; `message` is built by the caller only when wantsDetail() said so. */
  add(kind: number, offset: number, message: string | null): void {
    this.counts[kind]!++;
    if (message !== null && this.details.length < this.detailLimit) {
      this.details.push({ kind: PROBLEM_KINDS[kind]!, offset, message });
    }
  }

  /** Count a problem of a text input at `file`:`line` (`offset`: the line's byte offset in the decompressed stream). */
  addAt(kind: number, offset: number, message: string | null, file: string, line: number): void {
    this.counts[kind]!++;
    if (message !== null && this.details.length < this.detailLimit) {
      this.details.push({ kind: PROBLEM_KINDS[kind]!, offset, message, file, line });
    }
  }

  /** Total over all kinds. */
  total(): number {
    let t = 0;
    for (let i = 0; i < this.counts.length; i++) t += this.counts[i]!;
    return t;
  }

  /** Counts per kind name, only kinds seen. */
  totals(): Record<string, number> {
    const out: Record<string, number> = {};
    for (let i = 0; i < this.counts.length; i++) if (this.counts[i]! > 0) out[PROBLEM_KINDS[i]!] = this.counts[i]!;
    return out;
  }

  /** Count a problem and keep it first: a failure of the input stream, which explains the problems after it. */
  addFirst(kind: number, offset: number, message: string): void {
    this.counts[kind]!++;
    this.details.unshift({ kind: PROBLEM_KINDS[kind]!, offset, message });
    if (this.details.length > this.detailLimit) this.details.length = this.detailLimit;
  }

  /** Fold another collector in (file order: ours first). */
  merge(other: { counts: ArrayLike<number>; details: ProblemRecord[] }): void {
    for (let i = 0; i < this.counts.length; i++) this.counts[i]! += other.counts[i] ?? 0;
    for (const d of other.details) {
      if (this.details.length >= this.detailLimit) break;
      this.details.push(d);
    }
  }
}
