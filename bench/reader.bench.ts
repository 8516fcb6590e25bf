/**
 * Reader + decoder end to end on the generated capture, beside pcap-parser's framing of the same file, `tcpdump -r
 * FILE -w /dev/null`, and the same header walk in C (bench/native/walk.c); the VXLAN-mirrored version of the capture
 * beside the plain one; peak RSS on a 2 GiB capture.
 */
import { spawnSync, execFileSync } from 'node:child_process';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pcapParser from 'pcap-parser';
import { summarizeCapture } from '../src/pass/summary.js';
import { type BenchSuite, type BenchContext, timeBest, REPO_ROOT, ensureOutDir } from './harness.js';
import { standardCapture, largeCapture, mirroredCapture } from './captures.js';

const CLI = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');

function which(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/** Wall time of a command (best of `runs`). */
function commandSeconds(runs: number, cmd: string, args: string[]): number {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    const t = Number(process.hrtime.bigint() - t0) / 1e9;
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
    best = Math.min(best, t);
  }
  return best;
}

function pcapParserSeconds(file: string): Promise<{ seconds: number; packets: number }> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    let packets = 0;
    const p = pcapParser.parse(createReadStream(file));
    p.on('packet', () => packets++);
    p.on('error', reject);
    p.on('end', () => resolve({ seconds: Number(process.hrtime.bigint() - t0) / 1e9, packets }));
  });
}

/**
 * Read+decode of the VXLAN-mirrored capture (the same 2 M packets, 50 bytes of tunnel headers more each, 4 mirror
 * sessions) against the plain capture, alternating runs in one process so all meet the same machine load: read and
 * decode alone (`--keep-duplicates`, the goal's measure), and as `info` runs by default, with the duplicate filter
 * judging every mirrored packet.
 */
async function mirroredVsPlain(ctx: BenchContext): Promise<void> {
  const plain = standardCapture(ctx.quick);
  const mirrored = mirroredCapture(ctx.quick);
  let tPlain = Infinity;
  let tMirrored = Infinity;
  let tDeduped = Infinity;
  for (let r = 0; r < 5; r++) {
    tPlain = Math.min(tPlain, await timeBest(1, () => summarizeCapture(plain.file, { jobs: 1 })));
    let tunnelled = 0;
    tMirrored = Math.min(tMirrored, await timeBest(1, async () => {
      const s = await summarizeCapture(mirrored.file, { jobs: 1, dedupe: null });
      tunnelled = s.tunnels.reduce((n, t) => n + t.packets, 0);
    }));
    if (tunnelled !== mirrored.packets) throw new Error(`opened ${tunnelled} of ${mirrored.packets} mirrored packets`);
    tDeduped = Math.min(tDeduped, await timeBest(1, () => summarizeCapture(mirrored.file, { jobs: 1 })));
  }
  const mp = mirrored.packets / tMirrored / 1e6;
  const dp = mirrored.packets / tDeduped / 1e6;
  const pp = plain.packets / tPlain / 1e6;
  const sizes = `${mirrored.packets} packets, ${(statSync(mirrored.file).size / 2 ** 20).toFixed(0)} MiB (plain ${(statSync(plain.file).size / 2 ** 20).toFixed(0)} MiB), 4 VXLAN sessions`;
  ctx.record({
    suite: 'reader',
    name: 'read+decode of the VXLAN-mirrored capture (decap auto, --keep-duplicates), one thread, in process',
    value: mp,
    unit: 'Mpps',
    peer: 'the plain capture, same run',
    peerValue: pp,
    ratio: mp / pp,
    goal: '>= 85% of the plain rate',
    met: mp / pp >= 0.85,
    note: `${sizes}: mirrored ${tMirrored.toFixed(3)} s, plain ${tPlain.toFixed(3)} s`,
  });
  ctx.record({
    suite: 'reader',
    name: 'the same with the duplicate filter (the default: every mirrored packet judged)',
    value: dp,
    unit: 'Mpps',
    peer: 'the plain capture, same run',
    peerValue: pp,
    ratio: dp / pp,
    note: `${sizes}: ${tDeduped.toFixed(3)} s`,
  });
}

/** Only the mirrored-vs-plain entry (`npm run bench -- --only=reader-mirror`); a full run has it in `reader`. */
export const mirrorSuite: BenchSuite = {
  name: 'reader-mirror',
  explicitOnly: true,
  run: mirroredVsPlain,
};

export const suite: BenchSuite = {
  name: 'reader',
  async run(ctx: BenchContext) {
    const cap = standardCapture(ctx.quick);
    const bytes = statSync(cap.file).size;
    const n = cap.packets;
    let packets = 0;
    const ours = await timeBest(3, async () => {
      packets = (await summarizeCapture(cap.file, { jobs: 1 })).packets;
    });
    if (packets !== n) throw new Error(`decoded ${packets} packets, generated ${n}`);
    const mpps = n / ours / 1e6;
    let pp = { seconds: Infinity, packets: 0 };
    for (let i = 0; i < 2; i++) {
      const r = await pcapParserSeconds(cap.file);
      if (r.seconds < pp.seconds) pp = r;
    }
    const ppMpps = n / pp.seconds / 1e6;
    ctx.record({
      suite: 'reader',
      name: 'read+decode, one thread, in process',
      value: mpps,
      unit: 'Mpps',
      peer: 'pcap-parser framing (events, no decode)',
      peerValue: ppMpps,
      ratio: mpps / ppMpps,
      goal: '>= 10x pcap-parser',
      met: mpps / ppMpps >= 10,
      note: `${n} packets, ${(bytes / 2 ** 20).toFixed(0)} MiB: ours ${ours.toFixed(3)} s = ${(bytes / ours / 1e9).toFixed(2)} GB/s; pcap-parser ${pp.seconds.toFixed(3)} s`,
    });
    await mirroredVsPlain(ctx);
    const cli = commandSeconds(3, process.execPath, [CLI, 'info', '-j', '1', cap.file]);
    const cli2 = commandSeconds(3, process.execPath, [CLI, 'info', '-j', '2', cap.file]);
    if (which('tcpdump')) {
      const td = commandSeconds(3, 'tcpdump', ['-r', cap.file, '-w', '/dev/null']);
      ctx.record({
        suite: 'reader',
        name: '`aclreplay info` command (read+decode+count, process start included)',
        value: n / cli / 1e6,
        unit: 'Mpps',
        peer: 'tcpdump -r FILE -w /dev/null',
        peerValue: n / td / 1e6,
        ratio: td / cli,
        goal: '>= tcpdump',
        met: cli <= td,
        note: `aclreplay -j 1 ${cli.toFixed(3)} s (${(bytes / cli / 1e9).toFixed(2)} GB/s; -j 2 ${cli2.toFixed(3)} s), tcpdump ${td.toFixed(3)} s (${(bytes / td / 1e9).toFixed(2)} GB/s)`,
      });
    } else {
      ctx.record({ suite: 'reader', name: '`aclreplay info` command', value: n / cli / 1e6, unit: 'Mpps', note: 'tcpdump not installed: no peer figure' });
    }
    if (which('cc')) {
      const exe = join(ensureOutDir(), 'walk');
      execFileSync('cc', ['-O2', '-o', exe, join(REPO_ROOT, 'bench', 'native', 'walk.c')]);
      const out = JSON.parse(execFileSync(exe, [cap.file, '3'], { encoding: 'utf8' })) as { packets: number; seconds: number };
      ctx.record({
        suite: 'reader',
        name: 'read+decode, one thread, in process (vs C)',
        value: mpps,
        unit: 'Mpps',
        peer: 'the same header walk in C (cc -O2)',
        peerValue: out.packets / out.seconds / 1e6,
        ratio: mpps / (out.packets / out.seconds / 1e6),
        note: `C ${out.seconds.toFixed(3)} s vs ours ${ours.toFixed(3)} s: native is ${(ours / out.seconds).toFixed(1)}x faster`,
      });
    }
    if (!ctx.quick) {
      const big = largeCapture(2);
      const script = `import('${join(REPO_ROOT, 'dist', 'src', 'pass', 'summary.js')}').then(async (m) => { const t0 = Date.now(); const s = await m.summarizeCapture(process.argv[1], { jobs: 2 }); console.log(JSON.stringify({ packets: s.packets, seconds: (Date.now() - t0) / 1000, maxRssKiB: process.resourceUsage().maxRSS })); })`;
      const out = JSON.parse(execFileSync(process.execPath, ['-e', script, big.file], { encoding: 'utf8' })) as { packets: number; seconds: number; maxRssKiB: number };
      const size = statSync(big.file).size;
      ctx.record({
        suite: 'reader',
        name: 'peak RSS reading a 2 GiB capture',
        value: out.maxRssKiB / 1024,
        unit: 'MiB',
        goal: '<= 200 MB',
        met: out.maxRssKiB * 1024 <= 200e6,
        note: `${(size / 2 ** 30).toFixed(2)} GiB, ${out.packets} packets in ${out.seconds.toFixed(2)} s (${(size / out.seconds / 1e9).toFixed(2)} GB/s)`,
      });
    }
    void existsSync;
  },
};
