/** Where command output goes: records to stdout, diagnostics to stderr; write errors become IoError. */
import { writeFileSync, realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { IoError, UsageError } from '../errors.js';
import { escapeForTerminal } from '../text/terminal.js';

/** Set once stdout's reader has gone away (EPIPE): later output is dropped. */
let stdoutClosed = false;
/** writeStdout calls in progress: their own listener reports stdout errors. */
let writing = 0;

/** True while writeStdout is handling stdout's errors itself. */
export function writingStdout(): boolean {
  return writing > 0;
}

/**
 * Write `output` (one string, or chunks of text or bytes produced one at a time so a large report never sits in
 * memory whole) to stdout, honouring back-pressure and waiting until the last byte is handed to the OS. When the reader closes the
 * pipe (`aclreplay flows x.pcap | head`), the rest is dropped quietly, like any Unix filter, and the command goes
 * on: report files are still written and --fail-on still decides the exit code.
 */
export async function writeStdout(output: string | Iterable<string | Uint8Array>): Promise<void> {
  if (stdoutClosed) return;
  const out = process.stdout;
  const chunks = typeof output === 'string' ? [output] : output;
  let failure: NodeJS.ErrnoException | null = null;
  let wake: (() => void) | null = null;
  const onError = (err: NodeJS.ErrnoException): void => {
    failure = err;
    wake?.();
  };
  out.on('error', onError);
  writing++;
  try {
    for (const chunk of chunks) {
      if (failure) break;
      if (chunk.length === 0) continue;
      if (!out.write(chunk)) {
        let onDrain = (): void => {};
        await new Promise<void>((resolve) => {
          onDrain = resolve;
          wake = resolve;
          out.once('drain', resolve);
        });
        out.removeListener('drain', onDrain);
        wake = null;
      }
    }
    if (!failure) {
      await new Promise<void>((resolve) => {
        wake = resolve;
        out.write('', (err) => {
          if (err && !failure) failure = err;
          resolve();
        });
      });
    }
  } finally {
    writing--;
    out.removeListener('error', onError);
  }
  const err = failure as NodeJS.ErrnoException | null;
  if (err) {
    if (err.code === 'EPIPE') {
      stdoutClosed = true;
      return;
    }
    throw new IoError('<stdout>', err.message);
  }
}

/** One diagnostic line on stderr, its control characters escaped (it may quote ACL ids, file names, messages). */
export function warn(line: string): void {
  process.stderr.write(`aclreplay: ${escapeForTerminal(line)}\n`);
}

/**
 * Refuse a report path that names one of the command's inputs (`--html capture.pcap` would overwrite the capture):
 * a usage error before any work is done.
 */
export function checkReportPath(option: string, path: string | undefined, inputs: readonly (string | undefined)[]): void {
  if (path === undefined) return;
  const target = canonical(path);
  for (const input of inputs) {
    if (input === undefined || input === '-') continue;
    if (canonical(input) === target) throw new UsageError(`${option} ${path} would overwrite the input ${input}: write the report to another file`);
  }
}

/** A path with links resolved when it exists (so two spellings of one file compare equal). */
function canonical(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return resolve(p);
  }
}

/** Write a report file. */
export function writeReportFile(path: string, text: string): void {
  try {
    writeFileSync(path, text);
  } catch (e) {
    throw new IoError(path, (e as Error).message.split('\n')[0] ?? 'write failed');
  }
}

/**
 * One stderr line when reading the capture met problems (commands other than `info` do not list them): how many,
 * whether reading stopped early, the first one, and where to see them all.
 */
export function noteCaptureProblems(summary: { file: string; format?: string; incomplete: boolean; problems: { kind: string; offset: number; message: string; file?: string; line?: number }[]; problemTotals: Record<string, number> }): void {
  let total = 0;
  for (const n of Object.values(summary.problemTotals)) total += n;
  if (total === 0) return;
  const first = summary.problems[0];
  const where = first ? (first.file !== undefined && first.line !== undefined ? `${first.file}:${first.line}` : `offset ${first.offset}`) : '';
  const what = first ? `; first: ${first.kind} at ${where}${first.message ? `: ${first.message}` : ''}` : '';
  const logs = summary.format === 'vpc-flow-logs';
  warn(`${summary.file}: ${total} problem${total === 1 ? '' : 's'} reading the ${logs ? 'flow logs' : 'capture'}${summary.incomplete ? `, reading ${logs ? 'a file ' : ''}stopped early (everything before is included)` : ''}${what}; \`aclreplay info\` lists them`);
}
