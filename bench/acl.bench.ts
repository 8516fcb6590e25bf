/**
 * ACL classifier benchmarks (single thread): NACL-sized lookups/s, ClassBench 1K and 10K Mpps with the ratio to the
 * linear reference and to a tuned linear scan on the same packets, compile time and table bytes of a 10K set.
 * Goals from issue 4; every figure is recorded with its goal and whether it was met.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { classify } from '../src/acl/classify.js';
import { compileRules, compiledBytes } from '../src/acl/compile.js';
import { parseClassBench, parseClassBenchTrace } from '../src/acl/formats/classbench.js';
import { parseNativeYaml } from '../src/acl/formats/yaml.js';
import { linearClassify, type PacketColumns } from '../src/acl/linear.js';
import { measureRate } from '../src/acl/measure.js';
import type { Rule } from '../src/acl/model.js';
import { packetColumns } from '../src/acl/trace.js';
import { REPO_ROOT, type BenchContext, type BenchSuite } from './harness.js';

const CORPUS = process.env.ACLREPLAY_CORPUS ?? join(REPO_ROOT, '..', 'shared', 'corpus');
const HYPERSPLIT = join(CORPUS, 'classbench', 'ehzuf_HyperSplit');

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 40-rule dual-stack ingress list shaped like real NACLs (ports, a few CIDRs, ICMP, deny exceptions). */
export function naclRules(): Rule[] {
  const lines = ['acls:', '  - id: nacl40', '    inbound:'];
  const r = rng(42);
  const ports = ['22', '80', '443', '3306', '5432', '6379', '8080-8090', '1024-65535', '32768-61000', '53', '123', '25', '587', '9200'];
  for (let k = 0; k < 20; k++) {
    const deny = k < 3;
    const proto = k % 7 === 6 ? 'udp' : k === 19 ? 'icmp' : 'tcp';
    const cidr = k % 3 === 0 ? '0.0.0.0/0' : `10.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}.0/${[16, 20, 24][k % 3]}`;
    const extra = proto === 'icmp' ? 'icmp: { type: 8 }' : `ports: ${ports[k % ports.length]}`;
    lines.push(`      - { rule: ${100 + 10 * k}, proto: ${proto}, ${extra}, cidr: ${cidr}, action: ${deny ? 'deny' : 'allow'} }`);
    const v6 = k % 3 === 0 ? "::/0" : `2600:1f18:${((k * 4099) % 65536).toString(16)}::/56`;
    lines.push(`      - { rule: ${101 + 10 * k}, proto: ${proto === 'icmp' ? 'icmpv6' : proto}, ${proto === 'icmp' ? 'icmp: { type: 128 }' : extra}, cidr: "${v6}", action: ${deny ? 'deny' : 'allow'} }`);
  }
  return parseNativeYaml(lines.join('\n'), 'nacl40.yaml')[0]!.inbound;
}

/** Packets for the NACL: 90% IPv4, TCP/UDP/ICMP mix, sources spread over 10/8 and the internet. */
export function naclPackets(n: number): PacketColumns {
  const r = rng(7);
  const p = packetColumns(n);
  const common = [22, 80, 443, 3306, 5432, 53, 123, 8080];
  for (let i = 0; i < n; i++) {
    const v6 = r() < 0.1;
    p.family[i] = v6 ? 6 : 4;
    const x = r();
    p.proto[i] = x < 0.75 ? 6 : x < 0.95 ? 17 : v6 ? 58 : 1;
    if (v6) {
      p.src[4 * i] = r() < 0.5 ? 0x26001f18 : (r() * 2 ** 32) >>> 0;
      p.src[4 * i + 1] = (r() * 2 ** 32) >>> 0;
    } else p.src[4 * i] = r() < 0.5 ? (0x0a000000 | ((r() * 2 ** 24) >>> 0)) >>> 0 : (r() * 2 ** 32) >>> 0;
    p.dst[4 * i] = 0x0a000105;
    p.sport[i] = 1024 + Math.floor(r() * 64000);
    p.dport[i] = r() < 0.6 ? common[Math.floor(r() * common.length)]! : Math.floor(r() * 65536);
    p.icmpType[i] = r() < 0.5 ? 8 : 0;
    p.tcpFlags[i] = 0x10;
  }
  return p;
}

/** A first-match scan over rule fields unpacked into typed arrays (IPv4 ClassBench fields only): the tuned linear peer. */
export function tunedLinear(rules: Rule[]): (p: PacketColumns, n: number, out: Int32Array) => void {
  const k = rules.length;
  const srcLo = new Uint32Array(k);
  const srcHi = new Uint32Array(k);
  const dstLo = new Uint32Array(k);
  const dstHi = new Uint32Array(k);
  const sp = new Uint16Array(2 * k);
  const dp = new Uint16Array(2 * k);
  const proto = new Uint8Array(k);
  const mask = new Uint8Array(k);
  rules.forEach((r, j) => {
    const span = r.src.prefix === 0 ? 0xffffffff : r.src.prefix === 32 ? 0 : 0xffffffff >>> r.src.prefix;
    srcLo[j] = r.src.words[0];
    srcHi[j] = (r.src.words[0] + span) >>> 0;
    const dspan = r.dst.prefix === 0 ? 0xffffffff : r.dst.prefix === 32 ? 0 : 0xffffffff >>> r.dst.prefix;
    dstLo[j] = r.dst.words[0];
    dstHi[j] = (r.dst.words[0] + dspan) >>> 0;
    sp[2 * j] = r.srcPorts[0];
    sp[2 * j + 1] = r.srcPorts[1];
    dp[2 * j] = r.dstPorts[0];
    dp[2 * j + 1] = r.dstPorts[1];
    proto[j] = r.protocol & r.protocolMask;
    mask[j] = r.protocolMask;
  });
  return (p, n, out) => {
    for (let i = 0; i < n; i++) {
      const s = p.src[4 * i]!;
      const d = p.dst[4 * i]!;
      const a = p.sport[i]!;
      const b = p.dport[i]!;
      const pr = p.proto[i]!;
      let m = -1;
      for (let j = 0; j < k; j++) {
        if (s < srcLo[j]! || s > srcHi[j]! || d < dstLo[j]! || d > dstHi[j]!) continue;
        if (a < sp[2 * j]! || a > sp[2 * j + 1]! || b < dp[2 * j]! || b > dp[2 * j + 1]!) continue;
        if ((pr & mask[j]!) !== proto[j]) continue;
        m = j;
        break;
      }
      out[i] = m;
    }
  };
}

function linearRate(rules: Rule[], p: PacketColumns, count: number, budget = 2e7): { mpps: number; sample: number } {
  const sample = Math.max(1, Math.min(count, Math.floor(budget / rules.length)));
  const out = new Int32Array(sample);
  const r = measureRate(
    () => {
      for (let i = 0; i < sample; i++) out[i] = linearClassify(rules, p, i);
    },
    sample,
    { minMs: 300, groupMs: 5 },
  );
  return { mpps: r.mpps, sample };
}

async function run(ctx: BenchContext): Promise<void> {
  const suite = 'acl';
  const minMs = ctx.quick ? 150 : 600;
  // 1. NACL-sized.
  {
    const rules = naclRules();
    const n = 1 << 16;
    const p = naclPackets(n);
    const c = compileRules(rules);
    const out = new Int32Array(n);
    const rate = measureRate(() => classify(c, p, null, n, out), n, { minMs });
    const lin = linearRate(rules, p, n);
    ctx.record({
      suite,
      name: `NACL ${rules.length - 2} rules + 2 implicit (IPv4 and IPv6), lookups/s`,
      value: rate.mpps,
      unit: 'M lookups/s',
      peer: 'linear reference',
      peerValue: lin.mpps,
      ratio: rate.mpps / lin.mpps,
      goal: '>= 50 M lookups/s',
      met: rate.mpps >= 50,
      note: `${rate.nsPerLookup.toFixed(1)} ns/lookup, ${compiledBytes(c)} table bytes`,
    });
  }
  if (!existsSync(HYPERSPLIT)) {
    ctx.record({ suite, name: 'ClassBench sets', value: 0, unit: 'skipped', note: `corpus not found at ${HYPERSPLIT}` });
    return;
  }
  // 2. ClassBench 1K and 10K.
  for (const size of ['1K', '10K'] as const) {
    for (const family of ['acl1', 'fw1', 'ipc1']) {
      const name = `${family}_${size}`;
      const rules = parseClassBench(readFileSync(join(HYPERSPLIT, 'rules', name), 'utf8'), name).inbound;
      const trace = parseClassBenchTrace(readFileSync(join(HYPERSPLIT, 'traces', `${name}_trace`), 'utf8'), name);
      const t0 = performance.now();
      const c = compileRules(rules);
      const compileMs = performance.now() - t0;
      const out = new Int32Array(trace.count);
      classify(c, trace.packets, null, trace.count, out);
      let mismatches = 0;
      for (let i = 0; i < trace.count; i++) if (out[i]! + 1 !== trace.labels[i]) mismatches++;
      const rate = measureRate(() => classify(c, trace.packets, null, trace.count, out), trace.count, { minMs });
      const lin = linearRate(rules, trace.packets, trace.count);
      const tuned = tunedLinear(rules);
      const sample = Math.min(trace.count, Math.floor(4e7 / rules.length));
      const tout = new Int32Array(sample);
      const trate = measureRate(() => tuned(trace.packets, sample, tout), sample, { minMs: 300, groupMs: 5 });
      const goal = size === '1K' ? 15 : 5;
      ctx.record({
        suite,
        name: `ClassBench ${name} (${rules.length} rules) Mpps`,
        value: rate.mpps,
        unit: 'Mpps',
        peer: 'linear reference (src/acl/linear.ts)',
        peerValue: lin.mpps,
        ratio: rate.mpps / lin.mpps,
        goal: size === '1K' ? '>= 15 Mpps' : '>= 5 Mpps and >= 20x linear',
        met: rate.mpps >= goal && (size === '1K' || rate.mpps / lin.mpps >= 20),
        note: `${rate.nsPerLookup.toFixed(1)} ns/lookup; ${mismatches} label mismatches; linear on ${lin.sample} packets; tuned typed-array linear scan ${trate.mpps.toFixed(3)} Mpps (ratio ${(rate.mpps / trate.mpps).toFixed(1)}x)`,
      });
      ctx.record({
        suite,
        name: `ClassBench ${name} compile`,
        value: compileMs,
        unit: 'ms',
        goal: size === '10K' ? '< 2000 ms' : undefined,
        met: size === '10K' ? compileMs < 2000 : undefined,
        note: `${(compiledBytes(c) / 2 ** 20).toFixed(2)} MiB of tables`,
      } as Parameters<BenchContext['record']>[0]);
    }
  }
}

/** The suite bench/run.ts runs. */
export const suite: BenchSuite = { name: 'acl', run };
