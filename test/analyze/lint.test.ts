import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../src/acl/lint.js';
import { coverageSentence, lintAcl } from '../../src/analyze/lint.js';
import { loadAcls } from '../../src/acl/load.js';
import { PORT_PROFILES, portRanges, profileCoverage } from '../../src/profiles.js';
import { describeCorpus } from '../helpers/corpus.js';
import { CLASSBENCH, FIXTURES, NACL } from '../acl/helpers.js';
import { buildAwsAcl, type EntrySpec } from '../../src/acl/formats/entries.js';
import { linearClassify } from '../../src/acl/linear.js';
import { parseCidr } from '../../src/acl/model.js';
import { packetColumns } from '../../src/acl/trace.js';

function find(fs: Finding[], code: string, rule: number | '*' | null, direction = 'inbound'): Finding | undefined {
  return fs.find((f) => f.code === code && f.rule === rule && f.direction === direction);
}

describe('lint on hand-made cases', () => {
  const report = lintAcl(loadAcls(join(FIXTURES, 'lint-cases.yaml'))[0]!);
  const fs = report.findings;

  it('finds a rule shadowed by the union of two earlier rules (not by any single one)', () => {
    const f = find(fs, 'SHADOWED_RULE', 120);
    expect(f).toMatchObject({ severity: 'warning', related: [100, 110] });
    expect(f!.message).toContain('earlier rules 100 (allow), 110 (allow)');
  });

  it('a shadowed rule whose action the shadowing rule contradicts is an error', () => {
    expect(find(fs, 'SHADOWED_RULE', 130)).toMatchObject({ severity: 'error', related: [100] });
  });

  it('partly overridden with the opposite action: CONTRADICTED_RULE; not shadowed', () => {
    expect(find(fs, 'CONTRADICTED_RULE', 140)).toMatchObject({ severity: 'info', related: [100, 110] });
    expect(find(fs, 'SHADOWED_RULE', 140)).toBeUndefined();
  });

  it('a deny that the implicit deny would repeat is REDUNDANT_RULE naming *', () => {
    expect(find(fs, 'REDUNDANT_RULE', 150)).toMatchObject({ related: ['*'] });
    expect(find(fs, 'REDUNDANT_RULE', 100)).toBeUndefined();
  });

  it('protocol 1 on an IPv6 rule', () => {
    expect(find(fs, 'ICMPV4_ON_IPV6', 160)).toMatchObject({ severity: 'warning', family: 6 });
    expect(find(fs, 'UNMATCHABLE_RULE', 160)).toBeUndefined();
  });

  it('never reports the implicit * rules', () => {
    expect(fs.filter((f) => f.rule === '*')).toEqual([]);
  });

  it('ephemeral coverage: egress TCP 32768-61000 covers linux fully, windows and nat partly, windows-legacy not at all', () => {
    const c = report.coverage.find((x) => x.direction === 'outbound' && x.protocol === 'tcp' && x.family === 4)!;
    expect(c.allowed).toEqual([[32768, 61000]]);
    const by = Object.fromEntries(c.profiles.map((p) => [p.name, p]));
    expect(by.linux!.share).toBe(1);
    expect(by.windows!.allowedPorts).toBe(61000 - 49152 + 1);
    expect(by.windows!.missing).toEqual([[61001, 65535]]);
    expect(by['windows-legacy']!.share).toBe(0);
    expect(by.nat!.missing).toEqual([
      [1024, 32767],
      [61001, 65535],
    ]);
    const sentence = coverageSentence(c);
    expect(sentence).toContain('egress allows IPv4 TCP return ports 32768-61000: linux 100%, windows 72% (61001-65535 not allowed)');
    expect(sentence).toContain('nat 44% (1024-32767, 61001-65535 not allowed)');
    const f = fs.find((x) => x.code === 'EPHEMERAL_COVERAGE' && x.direction === 'outbound' && x.family === 4)!;
    expect(f.severity).toBe('warning');
    expect(c.probe).toEqual({ src: '10.0.0.10', dst: '198.51.100.7', sport: 443 });
  });

  it('UDP coverage 1024-65535 covers every profile', () => {
    const c = report.coverage.find((x) => x.direction === 'outbound' && x.protocol === 'udp' && x.family === 4)!;
    expect(c.profiles.every((p) => p.share === 1)).toBe(true);
  });
});

describe('lint limits and profiles', () => {
  it('AWS_RULE_LIMIT: warning above 20, error above 40 (with --no-aws-limits)', () => {
    const medium = lintAcl(loadAcls(join(FIXTURES, 'yaml-25-rules.yaml'))[0]!);
    expect(medium.findings.filter((f) => f.code === 'AWS_RULE_LIMIT')).toEqual([
      expect.objectContaining({ severity: 'warning', direction: 'inbound', family: 4, message: 'ingress has 25 IPv4 rules: above the AWS default quota of 20 (raisable to 40)' }),
    ]);
    const big = lintAcl(loadAcls(join(FIXTURES, 'yaml-45-rules.yaml'), { awsLimits: false })[0]!);
    expect(big.findings.find((f) => f.code === 'AWS_RULE_LIMIT')).toMatchObject({ severity: 'error' });
    expect(big.findings.some((f) => f.code === 'IMPORT_WARNING')).toBe(false);
  });

  it('profiles table and range helpers', () => {
    expect(PORT_PROFILES.map((p) => [p.name, p.range])).toEqual([
      ['linux', [32768, 60999]],
      ['windows', [49152, 65535]],
      ['windows-legacy', [1025, 5000]],
      ['freebsd', [10000, 65535]],
      ['macos', [49152, 65535]],
      ['nat', [1024, 65535]],
    ]);
    const allowed = new Uint8Array(65536);
    allowed.fill(1, 40000, 50001);
    expect(portRanges(allowed, 0, 65535, 1)).toEqual([[40000, 50000]]);
    const linux = profileCoverage(PORT_PROFILES[0]!, allowed);
    expect(linux.allowedPorts).toBe(10001);
    expect(linux.missing).toEqual([
      [32768, 39999],
      [50001, 60999],
    ]);
  });
});

describeCorpus('lint on the corpus NACLs', () => {
  it('04_3: ingress deny TCP 22 (rule 200) placed after allow-all 100 is shadowed: an error', () => {
    const r = lintAcl(loadAcls(join(NACL, '04_devopsacademy_frdvo_describe-network-acls_3.json'))[0]!);
    expect(find(r.findings, 'SHADOWED_RULE', 200)).toMatchObject({ severity: 'error', related: [100] });
    expect(find(r.findings, 'CONTRADICTED_RULE', 100, 'outbound')).toMatchObject({ related: [85] });
  });

  it('03: the deny-before-allow exceptions are contradictions (info), nothing shadowed', () => {
    const r = lintAcl(loadAcls(join(NACL, '03_devopsacademy_afaryy_describe-network-acls.json'))[0]!);
    expect(r.findings.map((f) => [f.code, f.direction, f.rule])).toEqual([
      ['CONTRADICTED_RULE', 'inbound', 100],
      ['CONTRADICTED_RULE', 'outbound', 100],
    ]);
  });

  it('05 PRX public: 300/301 shadowed by 60/61, VPC-only egress rules shadowed by 80/81, ICMP rules 531 on IPv6', () => {
    const r = lintAcl(loadAcls(join(NACL, '05_PRX_cfn_public-network-acl.yml'), { params: { VpcCidrBlock: '10.1.0.0/16', VpcIpv6CidrBlocks: '2600:1f18::/56' } })[0]!);
    expect(find(r.findings, 'SHADOWED_RULE', 300)).toMatchObject({ related: [60], severity: 'warning' });
    expect(find(r.findings, 'SHADOWED_RULE', 301)).toMatchObject({ related: [61] });
    for (const n of [200, 210, 220, 230, 240, 250, 260]) expect(find(r.findings, 'SHADOWED_RULE', n, 'outbound')).toMatchObject({ related: [80] });
    expect(find(r.findings, 'ICMPV4_ON_IPV6', 531)).toBeDefined();
    expect(find(r.findings, 'ICMPV4_ON_IPV6', 531, 'outbound')).toBeDefined();
    const tcpIn = r.coverage.find((c) => c.direction === 'inbound' && c.protocol === 'tcp' && c.family === 4)!;
    expect(tcpIn.allowed).toEqual([
      [21, 22],
      [80, 80],
      [443, 443],
      [1024, 65535],
    ]);
  });
});

describe('lint on large and adversarial rule sets: bounded by work, exact where it answers', () => {
  const entry = (i: number, over: Partial<EntrySpec> = {}): EntrySpec => ({
    ruleNumber: i,
    egress: false,
    protocol: '-1',
    action: 'allow',
    cidrBlock: '0.0.0.0/0',
    hasPorts: false,
    where: { path: `e${i}` },
    field: () => ({ path: `e${i}` }),
    ...over,
  });
  const build = (entries: EntrySpec[]) => buildAwsAcl({ id: 'big', name: null, file: 'gen', format: 'yaml', associations: [], tags: {} }, entries, { awsLimits: false });

  it('32766 identical rules: ends within the budget, says which rules were analysed, and what it says is exact', () => {
    const acl = build(Array.from({ length: 32766 }, (_, i) => entry(i + 1)));
    const t0 = performance.now();
    const r = lintAcl(acl);
    expect(performance.now() - t0).toBeLessThan(20_000);
    const inc = r.findings.find((f) => f.code === 'ANALYSIS_INCOMPLETE')!;
    expect(inc.message).toMatch(/^ingress IPv4: shadowed\/redundant\/contradicted rules decided for (\d+) of 32766 rules; the work limit for the ACL ran out at rule (\d+), so (\d+) rules were not analysed/);
    const [, decided, at, left] = /decided for (\d+) of 32766 rules; .* at rule (\d+), so (\d+) rules/.exec(inc.message)!.map(Number);
    expect(decided! + left!).toBe(32766);
    const shadowed = r.findings.filter((f) => f.code === 'SHADOWED_RULE');
    // Every rule after the first is shadowed by rule 1 alone; rule 1 is redundant only if ... it is not (the * denies).
    expect(shadowed.length).toBe(decided! - 1);
    expect(shadowed.every((f) => (f.rule as number) < at! && f.related!.length === 1 && f.related![0] === 1)).toBe(true);
    expect(lintAcl(acl)).toEqual(r);
  });

  it('32766 rules on distinct ports are analysed completely and quickly', () => {
    const acl = build(Array.from({ length: 32766 }, (_, i) => entry(i + 1, { protocol: '6', hasPorts: true, portFrom: i + 1, portTo: i + 1, action: i % 2 ? 'deny' : 'allow' })));
    const t0 = performance.now();
    const r = lintAcl(acl);
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(r.findings.map((f) => f.code)).not.toContain('ANALYSIS_INCOMPLETE');
    // The denies are redundant (the * deny does the same), the allows are not.
    const redundant = r.findings.filter((f) => f.code === 'REDUNDANT_RULE');
    expect(redundant).toHaveLength(16383);
    expect(redundant.every((f) => (f.rule as number) % 2 === 0 && f.related![0] === '*')).toBe(true);
  });

  it('a smaller budget gives a subset of the same findings, never different ones', () => {
    const acl = loadAcls(join(FIXTURES, 'lint-cases.yaml'))[0]!;
    const full = lintAcl(acl).findings.filter((f) => f.code !== 'ANALYSIS_INCOMPLETE');
    for (const budget of [0, 1000, 5000, 20_000]) {
      const part = lintAcl(acl, { budget });
      const answered = part.findings.filter((f) => f.code !== 'ANALYSIS_INCOMPLETE');
      for (const f of answered) expect(full).toContainEqual(f);
      if (answered.length < full.length) expect(part.findings.some((f) => f.code === 'ANALYSIS_INCOMPLETE')).toBe(true);
    }
    expect(lintAcl(acl, { budget: 0 }).findings.find((f) => f.code === 'ANALYSIS_INCOMPLETE')!.message).toContain('ran out before this list');
  });

  it('return-traffic coverage painted per port equals the linear first match on every port', () => {
    const acls = [loadAcls(join(FIXTURES, 'lint-cases.yaml'))[0]!, ...loadAcls(join(FIXTURES, 'native.yaml'))];
    for (const acl of acls) {
      for (const c of lintAcl(acl).coverage) {
        const list = acl[c.direction];
        const p = packetColumns(65536);
        const local = c.direction === 'inbound' ? c.probe.dst : c.probe.src;
        const far = c.direction === 'inbound' ? c.probe.src : c.probe.dst;
        const words = (a: string) => (parseCidr(`${a}/${c.family === 4 ? 32 : 128}`) as { cidr: { words: number[] } }).cidr.words;
        const [s, d] = c.direction === 'inbound' ? [words(far), words(local)] : [words(local), words(far)];
        const allowed = new Uint8Array(65536);
        for (let i = 0; i < 65536; i++) {
          p.family[i] = c.family;
          p.proto[i] = c.protocol === 'tcp' ? 6 : 17;
          p.tcpFlags[i] = c.protocol === 'tcp' ? 0x10 : 0;
          p.sport[i] = 443;
          p.dport[i] = i;
          for (let w = 0; w < 4; w++) {
            p.src[4 * i + w] = s[w]!;
            p.dst[4 * i + w] = d[w]!;
          }
          const k = linearClassify(list, p, i);
          allowed[i] = k >= 0 && list[k]!.action === 'allow' ? 1 : 0;
        }
        expect(c.allowed, `${acl.id} ${c.direction} ${c.family} ${c.protocol}`).toEqual(portRanges(allowed, 0, 65535, 1));
      }
    }
  });
});

describeCorpus('lint on the 10K ClassBench sets', () => {
  for (const name of ['acl1_10K', 'fw1_10K', 'ipc1_10K']) {
    it(`${name}: well under 10 s, the same answer every time`, () => {
      const acl = loadAcls(join(CLASSBENCH, 'ehzuf_HyperSplit', 'rules', name))[0]!;
      const t0 = performance.now();
      const r = lintAcl(acl);
      expect(performance.now() - t0).toBeLessThan(10_000);
      for (const f of r.findings.filter((x) => x.code === 'SHADOWED_RULE')) expect(f.related!.every((j) => (j as number) < (f.rule as number))).toBe(true);
      expect(lintAcl(acl).findings).toEqual(r.findings);
    });
  }
});
