/**
 * Benchmark harness: each suite measures our code and, in the same run, the named peer on the same input, and
 * reports ratios with the absolute figures beside them. Results go to bench/out/results.json and the README table.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import os from 'node:os';

export const BENCH_DIR = resolve(import.meta.dirname, '..', '..', 'bench');
export const OUT_DIR = join(BENCH_DIR, 'out');
export const REPO_ROOT = resolve(BENCH_DIR, '..');

/** One measured figure; `peer` figures come from the same run on the same input. */
export interface BenchResult {
  suite: string;
  name: string;
  value: number;
  unit: string;
  /** What the figure is compared with, e.g. "pcap-parser", "tcpdump -r", "linear reference". */
  peer?: string;
  peerValue?: number;
  /** value / peerValue for rates (higher is better), peerValue / value for times. */
  ratio?: number;
  /** The goal stated in the issue, as text, and whether it was met. */
  goal?: string;
  met?: boolean;
  note?: string;
}

export interface BenchContext {
  outDir: string;
  quick: boolean;
  record(r: BenchResult): void;
}

export interface BenchSuite {
  name: string;
  /** Run only when named in --only (a part of another suite that can be measured alone). */
  explicitOnly?: boolean;
  run(ctx: BenchContext): Promise<void>;
}

export function ensureOutDir(): string {
  mkdirSync(OUT_DIR, { recursive: true });
  return OUT_DIR;
}

/** Machine line for the README: CPU model, cores, memory, Node version. */
export function machineDescription(): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model ?? 'unknown CPU'} x${cpus.length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`;
}

/** Wall time of fn in seconds (best of `runs`). */
export async function timeBest(runs: number, fn: () => Promise<unknown> | unknown): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    const t = Number(process.hrtime.bigint() - t0) / 1e9;
    if (t < best) best = t;
  }
  return best;
}

/** Format a number with 3 significant digits. */
export function sig(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Math.abs(x) >= 100) return x.toFixed(0);
  if (Math.abs(x) >= 10) return x.toFixed(1);
  return x.toPrecision(3);
}

/** True when `cmd` is on the PATH. */
export function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/** Best wall time of a command in seconds, output discarded (process start included). */
export function commandSeconds(runs: number, cmd: string, args: string[]): number {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 30 });
    const t = Number(process.hrtime.bigint() - t0) / 1e9;
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
    best = Math.min(best, t);
  }
  return best;
}

/** Peak resident memory (VmHWM) of a command in bytes, read from /proc while it runs; output discarded. */
export function peakRss(cmd: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let peak = 0;
    let err = '';
    const read = () => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peak = Math.max(peak, Number(m[1]) * 1024);
      } catch {
        // gone already
      }
    };
    const timer = setInterval(read, 10);
    child.stderr.on('data', (d) => (err += String(d)));
    child.on('error', reject);
    child.on('exit', (code) => {
      clearInterval(timer);
      if (code !== 0) reject(new Error(`${cmd} ${args.join(' ')} failed (${code}): ${err}`));
      else resolve(peak);
    });
  });
}
