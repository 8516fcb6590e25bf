/**
 * `flows` end to end on the generated capture (2 M packets, 262 k connections), beside `info` on the same file,
 * Argus (the C flow meter) and `tshark -q -z conv,tcp`; -j 2 against -j 1 and the main thread's share of the CPU
 * time of a -j 2 pass; peak memory at 2 M connections (16 M packets); flow table bytes per connection.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runPass } from '../src/pass/engine.js';
import { analyzeCapture } from '../src/analyze/capture.js';
import { type BenchSuite, type BenchContext, REPO_ROOT, commandSeconds, has, peakRss } from './harness.js';
import { standardCapture, millionFlowCapture, twoMillionConnectionCapture } from './captures.js';

const CLI = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');

/** CPU time (user + system) in ms of this process's main thread and of all its threads, from /proc. */
function cpuTimes(): { main: number; all: number } {
  const ticks = (path: string) => {
    const f = readFileSync(path, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  };
  return { main: ticks(`/proc/self/task/${process.pid}/stat`), all: ticks('/proc/self/stat') };
}

export const suite: BenchSuite = {
  name: 'flows',
  async run(ctx: BenchContext) {
    const cap = standardCapture(ctx.quick);
    const n = cap.packets;
    const conns = cap.tcpConnections + cap.failedConnections + cap.udpExchanges + cap.icmpEchoes;
    const info = commandSeconds(3, process.execPath, [CLI, 'info', cap.file]);
    const j1 = commandSeconds(3, process.execPath, [CLI, 'flows', '-F', 'tsv', '-j', '1', cap.file]);
    const j2 = commandSeconds(3, process.execPath, [CLI, 'flows', '-F', 'tsv', '-j', '2', cap.file]);
    const best = Math.min(j1, j2);
    const bestJ = best === j1 ? 1 : 2;
    ctx.record({
      suite: 'flows',
      name: `\`aclreplay flows -F tsv -j ${bestJ}\` vs \`aclreplay info\` on the same file`,
      value: best,
      unit: 's',
      peer: 'aclreplay info',
      peerValue: info,
      ratio: best / info,
      goal: 'flows <= 1.5x info (time)',
      met: best / info <= 1.5,
      note: `${n} packets, ~${conns} connections: flows ${best.toFixed(2)} s, info ${info.toFixed(2)} s (process start included); the ratio is time, lower is better`,
    });
    if (has('argus') && has('ra')) {
      const argus = commandSeconds(2, 'sh', ['-c', `argus -r "${cap.file}" -w - 2>/dev/null | ra -r - -n -s saddr sport daddr dport proto state pkts bytes > /dev/null`]);
      ctx.record({
        suite: 'flows',
        name: '`flows` vs Argus (`argus -r FILE -w - | ra -r - -n -s saddr sport daddr dport proto state pkts bytes`)',
        value: n / best / 1e6,
        unit: 'Mpps',
        peer: 'argus | ra',
        peerValue: n / argus / 1e6,
        ratio: argus / best,
        goal: '>= 3x faster than Argus',
        met: argus / best >= 3,
        note: `aclreplay ${best.toFixed(2)} s, argus+ra ${argus.toFixed(2)} s`,
      });
    } else {
      ctx.record({ suite: 'flows', name: '`flows` vs Argus', value: n / best / 1e6, unit: 'Mpps', peer: 'argus | ra: absent, not measured (Debian argus-server, argus-client)', goal: '>= 3x faster than Argus' });
    }
    if (has('tshark')) {
      const ts = commandSeconds(1, 'tshark', ['-n', '-q', '-z', 'conv,tcp', '-r', cap.file]);
      ctx.record({
        suite: 'flows',
        name: '`flows` vs tshark',
        value: n / best / 1e6,
        unit: 'Mpps',
        peer: 'tshark -q -z conv,tcp',
        peerValue: n / ts / 1e6,
        ratio: ts / best,
        goal: '>= 50x tshark',
        met: ts / best >= 50,
        note: `aclreplay ${best.toFixed(2)} s, tshark ${ts.toFixed(2)} s (process start included for both)`,
      });
    }
    // The main thread's share of a -j 2 pass: the cutting (no reading for a plain pcap file) and the merge.
    await analyzeCapture(cap.file, { jobs: 2 }); // warm the page cache and this process's code
    const t0 = cpuTimes();
    await analyzeCapture(cap.file, { jobs: 2 });
    const t1 = cpuTimes();
    const share = (t1.main - t0.main) / (t1.all - t0.all);
    ctx.record({
      suite: 'flows',
      name: "main thread's share of the CPU time of a `-j 2` pass (cutting, merging, connection table)",
      value: 100 * share,
      unit: '%',
      goal: '<= 15% (so that 8 cores could give >= 5x)',
      met: share <= 0.15,
      note: `main thread ${t1.main - t0.main} ms of ${t1.all - t0.all} ms CPU; -j 1 ${j1.toFixed(2)} s, -j 2 ${j2.toFixed(2)} s wall on this 2-core machine`,
    });
    if (!ctx.quick) {
      const big = twoMillionConnectionCapture();
      const bigConns = big.tcpConnections + big.failedConnections + big.udpExchanges + big.icmpEchoes;
      const rss = await peakRss(process.execPath, [CLI, 'flows', '-F', 'tsv', big.file]);
      ctx.record({
        suite: 'flows',
        name: `peak RSS of \`flows\` at ${(bigConns / 1e6).toFixed(1)} M connections (${(big.packets / 1e6).toFixed(0)} M packets)`,
        value: rss / 2 ** 20,
        unit: 'MiB',
        goal: '<= 600 MB',
        met: rss <= 600e6,
        note: `${(rss / bigConns).toFixed(0)} B per connection of peak RSS (Node's own ~45 MB included); 20 M connections at this rate: ${((rss * 10) / 2 ** 30).toFixed(1)} GiB`,
      });
      const million = millionFlowCapture();
      const pass = await runPass(million.file, { jobs: 2, flows: true });
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
