/** Runs the built CLI (dist/) as a user would, capturing stdout, stderr and the exit code. */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './corpus.js';

export const CLI = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], opts: { input?: Buffer | string; cwd?: string; env?: Record<string, string> } = {}): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: opts.cwd ?? REPO_ROOT,
    input: opts.input,
    encoding: 'utf8',
    maxBuffer: 256 << 20,
    env: { ...process.env, ...opts.env },
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A CLI run with its wall time and peak memory (KiB; null when it could not be measured). */
export interface MeasuredResult extends CliResult {
  ms: number;
  maxRssKiB: number | null;
}

const PEAK_RSS = join(REPO_ROOT, 'test', 'helpers', 'peak-rss.mjs');

/** Run the built CLI through peak-rss.mjs, asynchronously (so several can run at once), measuring time and peak RSS. */
export function runCliMeasured(args: string[], opts: { input?: Buffer | string; timeoutMs?: number } = {}): Promise<MeasuredResult> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [PEAK_RSS, CLI, ...args], { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const rss: Buffer[] = [];
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => err.push(d));
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (d: Buffer) => rss.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.stdin!.on('error', () => {});
    child.stdin!.end(opts.input ?? '');
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const kib = Number.parseInt(Buffer.concat(rss).toString(), 10);
      resolve({
        status: code ?? (signal ? 128 : -1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        ms: performance.now() - t0,
        maxRssKiB: Number.isFinite(kib) ? kib : null,
      });
    });
  });
}
