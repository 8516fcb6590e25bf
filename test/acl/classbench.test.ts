import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/acl/classify.js';
import { compileRules } from '../../src/acl/compile.js';
import { linearClassify } from '../../src/acl/linear.js';
import { parseClassBenchTrace } from '../../src/acl/formats/classbench.js';
import { loadAcls, loadTrace, parseAclText, MAX_RULES } from '../../src/acl/load.js';
import { describeCorpus } from '../helpers/corpus.js';
import { brief, CLASSBENCH, FIXTURES, invalid } from './helpers.js';

describe('ClassBench filter sets', () => {
  it('TABs, CRLF and the 6th TCP-flags field; rule numbers are 1-based, action allow, no implicit deny', () => {
    const [acl] = loadAcls(join(FIXTURES, 'classbench-tabs-crlf.rules'));
    expect(acl!.format).toBe('classbench');
    expect(acl!.outbound).toEqual([]);
    expect(acl!.inbound.map((r) => r.ruleNumber)).toEqual([1, 2, 3, 4]);
    expect(acl!.inbound.every((r) => r.action === 'allow')).toBe(true);
    expect(brief(acl!.inbound[1]!)).toMatchObject({ src: '0.0.0.0/0', dst: '192.168.0.0/16', sport: [1024, 65535], dport: [53, 53], proto: 17 });
    expect(acl!.inbound[2]!.tcpFlags).toEqual({ value: 0x0002, mask: 0x0012 });
    expect(acl!.inbound[3]!.protocolMask).toBe(0);
  });

  it('bad prefix and inverted ports name the line', () => {
    const e = invalid(() => loadAcls(join(FIXTURES, 'classbench-bad-prefix.rules')));
    expect(e.line).toBe(2);
    expect(e.message).toContain("'5.6.7.8/40'");
    const p = invalid(() => loadAcls(join(FIXTURES, 'classbench-bad-ports.rules')));
    expect(p.line).toBe(1);
    expect(p.message).toContain('90 : 80 is inverted');
  });
});

describeCorpus('ClassBench corpus', () => {
  const dir = join(CLASSBENCH, 'ehzuf_HyperSplit');
  const pairs = readdirSync(join(dir, 'traces'))
    .filter((t) => t.endsWith('_trace') && t !== 'cache_trace' && !t.includes('_5K_'))
    .map((t) => t.replace(/_trace$/, ''));

  it('has the 12 HyperSplit rule/trace pairs (acl1, fw1, ipc1 at 100, 1K, 10K and unsuffixed)', () => {
    expect(pairs.sort()).toEqual(['acl1', 'acl1_100', 'acl1_10K', 'acl1_1K', 'fw1', 'fw1_100', 'fw1_10K', 'fw1_1K', 'ipc1', 'ipc1_100', 'ipc1_10K', 'ipc1_1K']);
  });

  for (const name of pairs) {
    it(`${name}: compiled first match equals every trace label; linear agrees on a sample`, () => {
      const [acl] = loadAcls(join(dir, 'rules', name));
      const trace = loadTrace(join(dir, 'traces', `${name}_trace`));
      const compiled = compileRules(acl!.inbound);
      const out = new Int32Array(trace.count);
      classify(compiled, trace.packets, null, trace.count, out);
      let mismatches = 0;
      for (let i = 0; i < trace.count; i++) if (out[i]! + 1 !== trace.labels[i]) mismatches++;
      expect(mismatches).toBe(0);
      const step = Math.max(1, Math.floor(trace.count / 300));
      for (let i = 0; i < trace.count; i += step) expect(linearClassify(acl!.inbound, trace.packets, i)).toBe(out[i]);
    });
  }

  it('the TAB-separated sets with flags (neurocuts, JiaChangGit, tuplemerge CRLF) parse and compile; compiled == linear on the JiaChangGit trace', () => {
    for (const f of ['neurocuts_neurocuts/fw3_1k', 'neurocuts_neurocuts/acl1_1k', 'drjdaly_tuplemerge/acl1_seed_1.rules', 'JiaChangGit_network-packet-classification/acl1_1k']) {
      const [acl] = loadAcls(join(CLASSBENCH, f));
      expect(acl!.inbound.length).toBeGreaterThan(500);
    }
    const [acl] = loadAcls(join(CLASSBENCH, 'JiaChangGit_network-packet-classification/acl1_1k'));
    const trace = loadTrace(join(CLASSBENCH, 'JiaChangGit_network-packet-classification/acl1_1k_trace'));
    expect(trace.hasFlags).toBe(true);
    const out = new Int32Array(trace.count);
    classify(compileRules(acl!.inbound), trace.packets, null, trace.count, out);
    for (let i = 0; i < trace.count; i += 7) expect(out[i]).toBe(linearClassify(acl!.inbound, trace.packets, i));
  });
});

describe('rule count limit', () => {
  const lines = (n: number) => {
    let t = '';
    for (let i = 0; i < n; i++) t += `@10.${(i >> 8) & 255}.${i & 255}.0/24\t0.0.0.0/0\t0 : 65535\t${i & 0xffff} : ${i & 0xffff}\t0x06/0xFF\t0x0000/0x0000\t\n`;
    return t;
  };
  it('65534 rules in a direction load; 65535 are refused with the count (verdicts keep the rule index in 16 bits)', () => {
    expect(parseAclText(lines(MAX_RULES), 'big.rules')[0]!.inbound).toHaveLength(MAX_RULES);
    expect(() => parseAclText(lines(MAX_RULES + 1), 'bigger.rules')).toThrow(/bigger\.rules: .*65535 inbound rules; at most 65534 per direction/);
  });
});

describe('hostile ClassBench input', () => {
  it('a trace of bad lines fails on the first without allocating columns for all of them', () => {
    const text = `1 2 3 4 5 6\n${'1\n'.repeat(10_000_000)}`;
    const before = process.memoryUsage().arrayBuffers;
    const e = invalid(() => parseClassBenchTrace(text, 'bad.trace'));
    expect(e.line).toBe(2);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 << 20);
  });

  it('a filter set stops at the rule limit instead of reading every line', () => {
    const line = '@10.0.0.0/8 0.0.0.0/0 0 : 65535 0 : 65535 0x06/0xFF\n';
    const e = invalid(() => parseAclText(line.repeat(MAX_RULES + 10), 'many.rules'));
    expect(e.line).toBe(MAX_RULES + 1);
    expect(e.message).toContain(`${MAX_RULES + 1} inbound rules; at most ${MAX_RULES} per direction`);
  });
});
