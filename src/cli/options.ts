/** Options shared by several commands, parsed and checked in one place. */
import { Option } from 'commander';
import { UsageError } from '../errors.js';
import type { Format } from '../report/format.js';

export type { Format };

/** `-F, --format <fmt>` restricted to `choices`. */
export function formatOption(choices: Format[], dflt: Format): Option {
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
