/** Where command output goes: records to stdout, diagnostics to stderr; write errors become IoError. */
import { writeFileSync } from 'node:fs';
import { IoError } from '../errors.js';

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

/** One diagnostic line on stderr. */
export function warn(line: string): void {
  process.stderr.write(`aclreplay: ${line}\n`);
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
export function noteCaptureProblems(summary: { file: string; incomplete: boolean; problems: { kind: string; offset: number; message: string }[]; problemTotals: Record<string, number> }): void {
  let total = 0;
  for (const n of Object.values(summary.problemTotals)) total += n;
  if (total === 0) return;
  const first = summary.problems[0];
  const what = first ? `; first: ${first.kind} at offset ${first.offset}${first.message ? `: ${first.message}` : ''}` : '';
  warn(`${summary.file}: ${total} problem${total === 1 ? '' : 's'} reading the capture${summary.incomplete ? ', reading stopped early (everything before is included)' : ''}${what}; \`aclreplay info\` lists them`);
}
