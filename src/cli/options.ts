/** Options shared by several commands, parsed and checked in one place. */
import os from 'node:os';
import { Option } from 'commander';
import { UsageError } from '../errors.js';
import type { Format } from '../report/format.js';

export type { Format };

/** `-F, --format <fmt>` restricted to `choices`. */
export function formatOption(choices: Format[], dflt: Format): Option {
  return new Option('-F, --format <format>', 'output format').choices(choices).default(dflt);
}

/** More worker threads than this is a usage error; above WORKERS_PER_CORE per core they are capped (with a note). */
export const MAX_JOBS = 256;
export const WORKERS_PER_CORE = 4;
/** Largest --chunk-size: a chunk's bytes are held in memory when the input is a stream. */
export const MAX_CHUNK_BYTES = 1 << 30;

/** `-j, --jobs <n>`: worker threads. */
export function jobsOption(): Option {
  return new Option('-j, --jobs <n>', `worker threads, 1-${MAX_JOBS} (default: one less than the CPU count; 1 reads in this thread)`).argParser(intInRange('--jobs', 1, MAX_JOBS));
}

/** A commander parser for an integer option within [min, max]; anything else is a usage error (exit 2). */
export function intInRange(name: string, min: number, max: number): (v: string) => number {
  return (v: string) => {
    const text = v.trim();
    const n = /^[+-]?\d+$/.test(text) ? Number(text) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`${name} expects an integer from ${min} to ${max}, got '${clip(v)}'`);
    return n;
  };
}

/** `--chunk-size <bytes>`: how the capture is cut for workers (results never depend on it). */
export function chunkOption(): Option {
  return new Option('--chunk-size <bytes>', 'bytes per worker chunk (default 16 MiB)').argParser(intInRange('--chunk-size', 1, MAX_CHUNK_BYTES)).hideHelp();
}

/** A value echoed in an error, cut to a readable length. */
function clip(v: string): string {
  return v.length > 40 ? `${v.slice(0, 40)}... (${v.length} characters)` : v;
}

/**
 * The worker threads to use for `-j`: at most WORKERS_PER_CORE per core (more only add memory and contention), with
 * a note when the request was capped.
 */
export function workerThreads(jobs: number | undefined, note: (line: string) => void): number | undefined {
  if (jobs === undefined) return undefined;
  const cores = os.availableParallelism?.() ?? os.cpus().length;
  const cap = Math.max(1, WORKERS_PER_CORE * cores);
  if (jobs <= cap) return jobs;
  note(`-j ${jobs}: using ${cap} worker threads (${WORKERS_PER_CORE} per core on this ${cores}-core machine)`);
  return cap;
}

/** Collect a repeatable option's values. */
export const collect = (v: string, prev: string[]): string[] => [...prev, v];

/** Collect repeated `--param Name=Value` options. */
export function collectParam(v: string, acc: Record<string, string>): Record<string, string> {
  const eq = v.indexOf('=');
  if (eq <= 0) throw new UsageError(`--param expects Name=Value, got '${v}'`);
  return { ...acc, [v.slice(0, eq)]: v.slice(eq + 1) };
}

/**
 * `--fail-on <value,...>` for every command: comma-separated values, each one of `known` (matched regardless of
 * case, so `shadowed_rule` works as well as `SHADOWED_RULE`); `what` names them in the error ("finding code").
 */
export function failOnOption(description: string, known: readonly string[], what: string): Option {
  return new Option('--fail-on <values>', description).argParser((text: string) => parseFailOn(text, known, what));
}

export function parseFailOn(text: string, known: readonly string[], what: string): Set<string> {
  const out = new Set<string>();
  const byLower = new Map(known.map((k) => [k.toLowerCase(), k]));
  for (const t of text.split(',').map((x) => x.trim()).filter(Boolean)) {
    const v = byLower.get(t.toLowerCase());
    if (v === undefined) throw new UsageError(`--fail-on: '${t}' is not a ${what} (${known.join(', ')})`);
    out.add(v);
  }
  return out;
}
