/**
 * The capture pass allocates nothing per packet (house-style.md): read, decode, observe into the flow table, and
 * judge with the compiled candidates. Measured with V8's sampling heap profiler, counting the objects young and old
 * collections freed too, over a warmed-up readTraffic (the pass every traffic command runs) of a generated capture. A heap number per packet (a double local of
 * an async loop, a 32-bit key word passed to a call V8 does not inline) is 16 bytes a packet; the bound is under one.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { Session } from 'node:inspector/promises';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateCapture } from '../../bench/generate.js';
import type * as Traffic from '../../src/analyze/traffic.js';
import type * as Plan from '../../src/verdict/plan.js';
import type * as Spec from '../../src/verdict/spec.js';
import type { ReplaySpec } from '../../src/verdict/spec.js';
import type { DuplicateFilterOptions } from '../../src/decode/duplicates.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
// The built modules, as the CLI runs them: V8 inlines (and so boxes) tsc's output, not the test runner's transform.
const DIST = join(ROOT, 'dist', 'src');
const { readTraffic } = (await import(join(DIST, 'analyze', 'traffic.js'))) as typeof Traffic;
const { buildPlan } = (await import(join(DIST, 'verdict', 'plan.js'))) as typeof Plan;
const { compilePlan } = (await import(join(DIST, 'verdict', 'spec.js'))) as typeof Spec;
const PACKETS = 200_000;

interface ProfileNode {
  callFrame: { functionName: string; url: string };
  selfSize: number;
  children?: ProfileNode[];
}

/** Bytes allocated while `run` ran, by the function on top of the stack (file:function), from a sampling profile. */
async function allocations(run: () => Promise<unknown>): Promise<Map<string, number>> {
  const session = new Session();
  session.connect();
  try {
    await session.post('HeapProfiler.enable');
    await session.post('HeapProfiler.startSampling', { samplingInterval: 512, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as never);
    await run();
    const { profile } = (await session.post('HeapProfiler.stopSampling')) as unknown as { profile: { head: ProfileNode } };
    const out = new Map<string, number>();
    const walk = (n: ProfileNode): void => {
      if (n.selfSize > 0) {
        const key = `${n.callFrame.url.replace(/^file:\/\//, '')}:${n.callFrame.functionName}`;
        out.set(key, (out.get(key) ?? 0) + n.selfSize);
      }
      for (const c of n.children ?? []) walk(c);
    };
    walk(profile.head);
    return out;
  } finally {
    await session.post('HeapProfiler.disable');
    session.disconnect();
  }
}

/** Bytes allocated by the per-packet stages: the capture readers, the decoder, the flow table, the evaluator. */
function perPacketStages(a: Map<string, number>): { bytes: number; top: string[] } {
  const stage = /\/(capture\/(pcap|pcapng|reader|source)|decode\/[a-z-]+|flow\/(table|keyindex)|verdict\/(evaluator|counters)|acl\/classify)\.(ts|js):/;
  let bytes = 0;
  const rows: [string, number][] = [];
  for (const [k, v] of a) {
    if (!k.includes(DIST)) continue;
    if (!stage.test(k)) continue;
    bytes += v;
    rows.push([k.slice(k.indexOf(DIST) + DIST.length + 1), v]);
  }
  rows.sort((x, y) => y[1] - x[1]);
  return { bytes, top: rows.slice(0, 5).map(([k, v]) => `${k} ${v} B`) };
}

describe('allocation in the capture pass', () => {
  let file: string;
  let mirrored: string;
  beforeAll(() => {
    const dir = mkdtempSync(join(tmpdir(), 'aclreplay-alloc-'));
    file = join(dir, 'gen.pcap');
    generateCapture({ file, packets: PACKETS, seed: 7, ipv6Share: 0.2 });
    mirrored = join(dir, 'mirrored.pcap');
    generateCapture({ file: mirrored, packets: PACKETS, seed: 7, ipv6Share: 0.2, vxlan: { sessions: 4 } });
  });

  /** The pass every traffic command runs (readTraffic: decode, flows, and the candidates' verdicts when given). */
  const measure = async (opts: { spec?: ReplaySpec; dedupe?: DuplicateFilterOptions | null }, capture = file): Promise<{ perPacket: number; top: string[] }> => {
    const read = () => readTraffic([capture], { jobs: 1, ...(opts.spec ? { replay: () => opts.spec! } : {}), ...(opts.dedupe !== undefined ? { dedupe: opts.dedupe } : {}) });
    // Warm: the interpreter and the baseline compilers box doubles; what counts is the optimized loop.
    for (let k = 0; k < 3; k++) await read();
    const a = await allocations(read);
    const { bytes, top } = perPacketStages(a);
    return { perPacket: bytes / PACKETS, top };
  };

  it('read, decode and flows: under a byte a packet', async () => {
    const { perPacket, top } = await measure({});
    expect(perPacket, top.join('; ')).toBeLessThan(1);
  }, 120_000);

  it('with a compiled candidate judging every packet: under a byte a packet', async () => {
    const plan = buildPlan({ acls: [join(ROOT, 'examples', 'windows-only-return.yaml')], subnets: ['10.2.0.0/16', '2001:db8::a02:0/112'], load: {} });
    const { perPacket, top } = await measure({ spec: compilePlan(plan) });
    expect(perPacket, top.join('; ')).toBeLessThan(1);
  }, 120_000);

  it('a VXLAN mirror from 4 sessions, opened, with and without the duplicate filter: under a byte a packet', async () => {
    const kept = await measure({ dedupe: null }, mirrored);
    expect(kept.perPacket, kept.top.join('; ')).toBeLessThan(1);
    const deduped = await measure({}, mirrored);
    expect(deduped.perPacket, deduped.top.join('; ')).toBeLessThan(1);
  }, 120_000);
});
