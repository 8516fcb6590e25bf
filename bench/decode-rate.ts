/**
 * Read+decode rate of one capture on one thread, nothing else: `node dist/bench/decode-rate.js FILE [runs] [none]`.
 * Prints the best of `runs` passes (the first pass also warms the JIT), wall and CPU time (CPU time is the steadier
 * figure on a shared machine). `none` decodes with decap 'none'.
 */
import { openCapture } from '../src/capture/open.js';
import { Problems } from '../src/capture/problems.js';
import { PacketBatch } from '../src/decode/batch.js';
import { PacketParser } from '../src/decode/parser.js';
import { CaptureStats } from '../src/decode/stats.js';
import { decodeAll } from '../src/decode/scan.js';

/** Seconds and packets of one read+decode pass over `file`. */
export async function decodePass(file: string, decap: 'auto' | 'none' = 'auto'): Promise<{ seconds: number; cpuSeconds: number; packets: number }> {
  const problems = new Problems();
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const opened = await openCapture(file, problems);
  const batch = new PacketBatch();
  const parser = new PacketParser(batch, problems, { decap });
  const stats = new CaptureStats();
  let sum = 0;
  await decodeAll(opened.reader, parser, batch, stats, (b) => {
    sum += b.length;
  });
  opened.reader.close();
  const c = process.cpuUsage(c0);
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, cpuSeconds: (c.user + c.system) / 1e6, packets: sum };
}

if (process.argv[1]?.endsWith('decode-rate.js')) {
  const file = process.argv[2]!;
  const runs = Number(process.argv[3] ?? 5);
  const decap = process.argv[4] === 'none' ? 'none' : 'auto';
  let best = Infinity;
  let bestCpu = Infinity;
  let packets = 0;
  for (let r = 0; r < runs; r++) {
    const p = await decodePass(file, decap);
    best = Math.min(best, p.seconds);
    bestCpu = Math.min(bestCpu, p.cpuSeconds);
    packets = p.packets;
  }
  process.stdout.write(`${file}: ${packets} packets, best ${best.toFixed(3)} s = ${(packets / best / 1e6).toFixed(2)} Mpps, best CPU ${bestCpu.toFixed(3)} s (decap ${decap})\n`);
}
