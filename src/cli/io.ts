/** Where command output goes: records to stdout, diagnostics to stderr; write errors become IoError. */
import { writeFileSync } from 'node:fs';
import { IoError } from '../errors.js';

/**
 * Write `output` (one string, or chunks produced one at a time so a large report never sits in memory whole) to
 * stdout, honouring back-pressure and waiting until the last byte is handed to the OS.
 */
export async function writeStdout(output: string | Iterable<string>): Promise<void> {
  const out = process.stdout;
  const chunks = typeof output === 'string' ? [output] : output;
  for (const chunk of chunks) {
    if (chunk.length === 0) continue;
    if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', resolve));
  }
  await new Promise<void>((resolve, reject) => {
    out.write('', (err) => (err ? reject(new IoError('<stdout>', err.message)) : resolve()));
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
