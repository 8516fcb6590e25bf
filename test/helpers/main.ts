/** The CLI's main() run in this process, stdout and stderr captured (text and byte chunks alike): fast, no spawn. */
import { main } from '../../src/cli/main.js';

export interface MainRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** main() with `args` (after `aclreplay`); process.exitCode is reset after. */
export async function runMain(args: string[]): Promise<MainRun> {
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  const sink = (into: Buffer[]) =>
    ((chunk: string | Uint8Array, enc?: unknown, cb?: unknown): boolean => {
      into.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk));
      const done = typeof enc === 'function' ? enc : cb;
      if (typeof done === 'function') (done as () => void)();
      return true;
    }) as typeof process.stdout.write;
  process.stdout.write = sink(stdout);
  process.stderr.write = sink(stderr);
  try {
    const code = await main(['node', 'aclreplay', ...args]);
    return { code, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
    process.exitCode = undefined;
  }
}
