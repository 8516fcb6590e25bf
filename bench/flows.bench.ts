/**
 * `flows` end to end on the generated capture (2 M packets, 262 k connections) with -j 1 and -j 2, beside
 * `tshark -q -z conv,tcp` on the same file; the flow table's bytes per connection at one million connections.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { runPass } from '../src/pass/engine.js';
import { type BenchSuite, type BenchContext, REPO_ROOT } from './harness.js';
import { standardCapture, millionFlowCapture } from './captures.js';

const CLI = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/** Best wall time of a command, output discarded. */
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

export const suite: BenchSuite = {
  name: 'flows',
  async run(ctx: BenchContext) {
    const cap = standardCapture(ctx.quick);
    const n = cap.packets;
    const j1 = commandSeconds(3, process.execPath, [CLI, 'flows', '-F', 'tsv', '-j', '1', cap.file]);
    const j2 = commandSeconds(3, process.execPath, [CLI, 'flows', '-F', 'tsv', '-j', '2', cap.file]);
    const conns = cap.tcpConnections + cap.failedConnections + cap.udpExchanges + cap.icmpEchoes;
    if (has('tshark')) {
      const ts = commandSeconds(1, 'tshark', ['-n', '-q', '-z', 'conv,tcp', '-r', cap.file]);
      const best = Math.min(j1, j2);
      ctx.record({
        suite: 'flows',
        name: `\`aclreplay flows -F tsv -j ${best === j1 ? 1 : 2}\` end to end (the faster -j here)`,
        value: n / best / 1e6,
        unit: 'Mpps',
        peer: 'tshark -q -z conv,tcp',
        peerValue: n / ts / 1e6,
        ratio: ts / best,
        goal: '>= 50x tshark',
        met: ts / best >= 50,
        note: `${n} packets, ~${conns} connections: aclreplay ${best.toFixed(2)} s, tshark ${ts.toFixed(2)} s (process start included for both)`,
      });
    }
    ctx.record({
      suite: 'flows',
      name: '`flows` with 2 workers vs 1',
      value: n / j2 / 1e6,
      unit: 'Mpps',
      peer: 'aclreplay flows -j 1',
      peerValue: n / j1 / 1e6,
      ratio: j1 / j2,
      goal: '-j 2 >= 1.6x -j 1',
      met: j1 / j2 >= 1.6,
      note: `-j 1 ${j1.toFixed(2)} s, -j 2 ${j2.toFixed(2)} s on this 2-core machine`,
    });
    if (!ctx.quick) {
      const big = millionFlowCapture();
      const pass = await runPass(big.file, { jobs: 2, flows: true });
      const t = pass.merge.table;
      const growing = t.byteSize() / t.count;
      t.trim();
      const trimmed = t.byteSize() / t.count;
      ctx.record({
        suite: 'flows',
        name: `flow table bytes per connection at ${(t.count / 1e6).toFixed(2)} M connections`,
        value: trimmed,
        unit: 'B/flow',
        goal: '<= 128 B per flow at 1 M flows',
        met: trimmed <= 128,
        note: `${growing.toFixed(0)} B/flow while the table still had room to grow (x1.5 steps), ${trimmed.toFixed(0)} B/flow trimmed to its rows; includes keys, counters, hash slots`,
      });
    }
  },
};
