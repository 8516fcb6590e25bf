/** Where command output goes: records to stdout, diagnostics to stderr; write errors become IoError. */
import { writeFileSync } from 'node:fs';
import { IoError } from '../errors.js';

/** Write `text` to stdout, waiting for the pipe to drain (so large outputs are not cut at exit). */
export async function writeStdout(text: string): Promise<void> {
  if (text.length === 0) return;
  await new Promise<void>((resolve, reject) => {
    process.stdout.write(text, (err) => (err ? reject(new IoError('<stdout>', err.message)) : resolve()));
  });
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
