/** Options shared by several commands, parsed and checked in one place. */
import { Option } from 'commander';
import { UsageError } from '../errors.js';

export type OutputFormat = 'table' | 'json' | 'jsonl' | 'tsv';

/** `-F, --format <fmt>` restricted to `choices`. */
export function formatOption(choices: OutputFormat[], dflt: OutputFormat): Option {
  return new Option('-F, --format <format>', 'output format').choices(choices).default(dflt);
}

/** `-j, --jobs <n>`: worker threads. */
export function jobsOption(): Option {
  return new Option('-j, --jobs <n>', 'worker threads (default: one less than the CPU count; 1 reads in this thread)').argParser(positiveInt('--jobs'));
}

/** A commander parser for a positive integer option. */
export function positiveInt(name: string): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`${name} expects a positive integer, got '${v}'`);
    return n;
  };
}

/** `--chunk-size <bytes>`: how the capture is cut for workers (results never depend on it). */
export function chunkOption(): Option {
  return new Option('--chunk-size <bytes>', 'bytes per worker chunk (default 16 MiB)').argParser(positiveInt('--chunk-size')).hideHelp();
}
