/**
 * The BullMQ queue on a private redis-server: `replay --queue` with three `aclreplay worker` processes, one of them
 * SIGKILLed in the middle of a shard, prints exactly what replay prints on its own (the killed worker's job stalls,
 * runs again elsewhere, and is merged once); partials through a shared directory; a shard that fails for good fails
 * the run with the worker's error; an unreachable Redis is one line. Skips when redis-server is not installed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/corpus.js';
import { redisAvailable, startRedis, type TestRedis } from '../../bench/redis.js';

const ACLS = ['--acl', 'examples/windows-only-return.yaml', '--acl', 'examples/fixed-return.yaml', '--subnet', '10.0.2.0/24', '--subnet', 'fd00:2::/64'];

interface Proc {
  child: ChildProcess;
  stderr: string;
  stdout: string;
  exited: Promise<number>;
}

function start(args: string[]): Proc {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const p: Proc = { child, stderr: '', stdout: '', exited: null as unknown as Promise<number> };
  child.stdout!.on('data', (d: Buffer) => (p.stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (p.stderr += d.toString()));
  p.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : -1))));
  return p;
}

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const p = start(args);
  const code = await p.exited;
  return { code, stdout: p.stdout, stderr: p.stderr };
}

async function waitFor(p: Proc, re: RegExp, ms = 30_000): Promise<RegExpMatchArray> {
  const t0 = Date.now();
  for (;;) {
    const m = p.stderr.match(re);
    if (m) return m;
    if (Date.now() - t0 > ms) throw new Error(`no ${re} within ${ms} ms; stderr: ${p.stderr.slice(-800)}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** mixed-clients.pcap's records repeated, each copy 1000 s after the last: a capture whose shards take a while. */
function bigCapture(dir: string, copies: number): string {
  const src = readFileSync(join(REPO_ROOT, 'captures', 'mixed-clients.pcap'));
  const le = src.readUInt32LE(0) === 0xa1b2c3d4;
  const records = src.subarray(24);
  const parts: Buffer[] = [src.subarray(0, 24)];
  for (let c = 0; c < copies; c++) {
    const copy = Buffer.from(records);
    for (let p = 0; p + 16 <= copy.length; ) {
      const sec = le ? copy.readUInt32LE(p) : copy.readUInt32BE(p);
      if (le) copy.writeUInt32LE(sec + 1000 * c, p);
      else copy.writeUInt32BE(sec + 1000 * c, p);
      p += 16 + (le ? copy.readUInt32LE(p + 8) : copy.readUInt32BE(p + 8));
    }
    parts.push(copy);
  }
  const file = join(dir, 'big.pcap');
  writeFileSync(file, Buffer.concat(parts));
  return file;
}

const describeRedis = redisAvailable() ? describe : describe.skip;
if (!redisAvailable()) process.stderr.write('SKIP shard queue tests: redis-server not installed (apt-get install redis-server; .ci/run does)\n');

describeRedis('shards on a BullMQ queue', () => {
  let redis: TestRedis;
  let tmp: string;
  let big: string;
  const workers: Proc[] = [];
  const worker = () => {
    const w = start(['worker', '--queue', redis.url, '--lock-ms', '1500']);
    workers.push(w);
    return w;
  };

  beforeAll(async () => {
    redis = await startRedis();
    tmp = mkdtempSync(join(tmpdir(), 'aclreplay-queue-'));
    big = bigCapture(tmp, 120);
  }, 30_000);

  afterAll(async () => {
    for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.exited));
    await redis?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }, 30_000);

  it('three workers, one SIGKILLed mid-shard: the killed shard runs again elsewhere and the answer is the single-process one', { timeout: 120_000 }, async () => {
    const single = await run(['replay', big, ...ACLS, '-F', 'json', '-j', '1']);
    expect(single.code, single.stderr).toBe(0);
    const a = worker();
    await waitFor(a, /waiting for shard jobs/);
    const queued = start(['replay', big, ...ACLS, '-F', 'json', '--queue', redis.url, '--shards', '6']);
    const started = await waitFor(a, /shard (\d+) of plan \S+: started/);
    a.child.kill('SIGKILL');
    await a.exited;
    const killed = Number(started[1]);
    expect(a.stderr).not.toMatch(new RegExp(`shard ${killed} of plan \\S+: done`));
    const b = worker();
    const c = worker();
    const code = await queued.exited;
    expect(code, queued.stderr).toBe(0);
    expect(queued.stdout).toBe(single.stdout);
    // The killed shard was started again by another worker, and every shard was done exactly once.
    const others = b.stderr + c.stderr;
    expect(others).toMatch(new RegExp(`shard ${killed} of plan \\S+: started`));
    const done = [...others.matchAll(/shard (\d+) of plan \S+: done/g)].map((m) => Number(m[1])).sort((x, y) => x - y);
    expect(done).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('JSONL, diagnose and flow logs through the queue equal the single-process output', { timeout: 60_000 }, async () => {
    if (workers.filter((w) => w.child.exitCode === null).length === 0) worker();
    const logs = ['--acl', 'captures/flowlogs/acls/deployed.json', '--subnets', 'captures/flowlogs/acls/describe-subnets.json'];
    const cases = [
      ['replay', 'captures/return-drop.pcap', ...ACLS, '-F', 'jsonl'],
      ['diagnose', 'captures/mixed-clients.pcap', '-F', 'json'],
      ['flows', 'captures/ipv6-and-frag.pcap', '-F', 'jsonl'],
      ['replay', 'captures/flowlogs/v5/lab.log', ...logs, '-F', 'json'],
      ['flows', 'captures/flowlogs/s3', 'captures/flowlogs/parquet', '-F', 'jsonl'],
    ];
    for (const args of cases) {
      const single = await run([...args, '-j', '1']);
      const queued = await run([...args, '--queue', redis.url, '--shards', '5']);
      expect(queued.code, queued.stderr).toBe(single.code);
      expect(queued.stdout, args.join(' ')).toBe(single.stdout);
    }
  });

  it('partials over the inline limit travel through the shared directory, which is emptied after the merge', { timeout: 60_000 }, async () => {
    const dir = join(tmp, 'partials');
    const single = await run(['flows', big, '-F', 'json', '-j', '1']);
    const queued = await run(['flows', big, '-F', 'json', '--queue', redis.url, '--shard-bytes', '4MiB', '--inline-limit', '0', '--partials-dir', dir]);
    expect(queued.code, queued.stderr).toBe(0);
    expect(queued.stdout).toBe(single.stdout);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a shard that fails for good fails the run with the error the worker raised', { timeout: 60_000 }, async () => {
    const r = await run(['flows', 'captures/return-drop.pcap', '--queue', redis.url, '--shards', '2', '--inline-limit', '0']);
    expect(r.code).toBe(65);
    const lines = r.stderr.split('\n').filter((l) => l);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^aclreplay: shard \d: its partial is \d+ bytes, over the 0-byte limit for Redis values: give the run --partials-dir/);
  });

  it('usage and connection errors are one line', { timeout: 30_000 }, async () => {
    const down = await run(['flows', 'captures/return-drop.pcap', '--queue', 'redis://127.0.0.1:1/0', '--shards', '2']);
    expect(down.code).toBe(74);
    expect(down.stderr).toMatch(/^aclreplay: redis:\/\/127\.0\.0\.1:1\/0: cannot reach Redis: .*\n$/);
    const noQueue = await run(['flows', 'captures/return-drop.pcap', '--shards', '2']);
    expect(noQueue.code).toBe(2);
    expect(noQueue.stderr).toMatch(/--shards, --shard-bytes and --partials-dir go with --queue/);
    const badUrl = await run(['replay', 'captures/return-drop.pcap', ...ACLS, '--queue', 'http://x', '--shards', '2']);
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toMatch(/--queue expects a redis:\/\/ or rediss:\/\/ URL/);
    const noSize = await run(['flows', 'captures/return-drop.pcap', '--queue', redis.url]);
    expect(noSize.code).toBe(2);
    expect(noSize.stderr).toMatch(/--queue needs --shards <n> or --shard-bytes <size>/);
  });
});
