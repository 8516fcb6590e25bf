/**
 * Shards on the queue against one process: `replay --queue` with 4 shards and 2 `aclreplay worker` processes on a
 * private redis-server, beside the same replay in one process, on the generated capture. On 2 cores the question
 * is the overhead of planning, the queue, moving partials through Redis and merging, not a speed-up.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { type BenchSuite, type BenchContext, REPO_ROOT, ensureOutDir, commandSeconds } from './harness.js';
import { standardCapture } from './captures.js';
import { candidates, SUBNETS } from './replay.bench.js';
import { redisAvailable, startRedis } from './redis.js';

const CLI = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');

/** Start a worker and wait until it says it is waiting for jobs. */
function startWorker(url: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const w = spawn(process.execPath, [CLI, 'worker', '--queue', url], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    w.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('waiting for shard jobs')) resolve(w);
    });
    w.once('exit', (code) => reject(new Error(`worker exited (${code}): ${err}`)));
  });
}

export const suite: BenchSuite = {
  name: 'shards',
  async run(ctx: BenchContext) {
    if (!redisAvailable()) {
      process.stderr.write('  shards: redis-server not installed, skipped\n');
      return;
    }
    const cap = standardCapture(ctx.quick);
    const acl = candidates(join(ensureOutDir(), 'candidates'))[0]!;
    const replay = ['replay', '-F', 'json', cap.file, '--acl', acl, ...SUBNETS];
    const redis = await startRedis();
    const workers = [await startWorker(redis.url), await startWorker(redis.url)];
    try {
      // Alternating rounds, best of five each: on this VM the time of one command drifts by 20-50% over a minute, so
      // the two sides are measured side by side, not one after the other.
      const single = { j1: Infinity, j2: commandSeconds(2, process.execPath, [CLI, ...replay, '-j', '2']) };
      let queued = Infinity;
      for (let round = 0; round < 5; round++) {
        single.j1 = Math.min(single.j1, commandSeconds(1, process.execPath, [CLI, ...replay, '-j', '1']));
        queued = Math.min(queued, commandSeconds(1, process.execPath, [CLI, ...replay, '--queue', redis.url, '--shards', '4']));
      }
      const [j, best] = single.j1 <= single.j2 ? ['1', single.j1] : ['2', single.j2];
      ctx.record({
        suite: 'shards',
        name: '`replay --queue` 4 shards on 2 `aclreplay worker` processes (Redis on loopback) vs one process',
        value: queued,
        unit: 's',
        peer: `one process, -j ${j} (the faster of -j 1 and -j 2)`,
        peerValue: best,
        ratio: queued / best,
        goal: '<= 1.15x (overhead, not speed-up, on 2 cores)',
        met: queued / best <= 1.15,
        note: `${cap.packets} packets; one process -j 1 ${single.j1.toFixed(2)} s, -j 2 ${single.j2.toFixed(2)} s; queue ${queued.toFixed(2)} s including planning, enqueueing, partials through Redis and the merge`,
      });
    } finally {
      for (const w of workers) w.kill('SIGTERM');
      await Promise.all(workers.map((w) => new Promise((r) => (w.exitCode !== null ? r(null) : w.once('exit', r)))));
      await redis.stop();
    }
  },
};
