/** Generated inputs shared by the benchmark suites, cached in bench/out by their parameters. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateCapture, type GenerateOptions, type GenerateResult } from './generate.js';
import { ensureOutDir } from './harness.js';

/** The >= 2 M packet, >= 250 k connection capture most suites run on. */
export function standardCapture(quick: boolean): GenerateResult {
  return cached(quick ? 'gen-200k' : 'gen-2m', { packets: quick ? 200_000 : 2_000_000 });
}

/** The standard capture as a VXLAN mirror target receives it from 4 mirror sessions. */
export function mirroredCapture(quick: boolean): GenerateResult {
  return cached(quick ? 'gen-200k-vxlan' : 'gen-2m-vxlan', { packets: quick ? 200_000 : 2_000_000, vxlan: { sessions: 4 } });
}

/** The bench generator at 16 M packets: about 2 M connections, for peak memory per connection. */
export function twoMillionConnectionCapture(): GenerateResult {
  return cached('gen-16m', { packets: 16_000_000 });
}

/** About one million connections (mostly DNS exchanges), for the bytes-per-flow figure. */
export function millionFlowCapture(): GenerateResult {
  return cached('gen-1m-flows', { packets: 2_300_000, dnsShare: 0.96, concurrency: 2048 });
}

/** A capture of about `gib` GiB (large packets), for the flat-memory check. */
export function largeCapture(gib: number): GenerateResult {
  return cached(`gen-${gib}g`, { packets: 0, bytes: gib * 2 ** 30, payload: 1400, concurrency: 4096 });
}

function cached(name: string, o: Omit<GenerateOptions, 'file'>): GenerateResult {
  const dir = ensureOutDir();
  const file = join(dir, `${name}.pcap`);
  const meta = join(dir, `${name}.json`);
  if (existsSync(file) && existsSync(meta)) {
    const m = JSON.parse(readFileSync(meta, 'utf8')) as GenerateResult & { options: unknown };
    if (JSON.stringify(m.options) === JSON.stringify(o)) return m;
  }
  const r = generateCapture({ file, ...o });
  writeFileSync(meta, JSON.stringify({ ...r, options: o }, null, 2));
  return r;
}
