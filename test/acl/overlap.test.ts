import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCidr, type Rule } from '../../src/acl/model.js';
import { analyseOverlaps, type RuleOverlap } from '../../src/acl/overlap.js';
import { referenceOverlaps } from './overlap-reference.js';

const V4 = ['0.0.0.0/0', '10.0.0.0/8', '10.0.0.0/9', '10.128.0.0/9', '10.1.0.0/16', '10.1.2.0/24', '10.1.2.3/32', '192.168.0.0/16', '0.0.0.0/1'];
const V6 = ['::/0', 'fd00::/8', 'fd00::/9', 'fd00:1::/32', 'fd00:1:2::/48', 'fd00:1:2::3/128', '2001:db8::/32', '8000::/1'];
const PORTS: [number, number][] = [
  [0, 65535],
  [0, 1023],
  [1024, 65535],
  [80, 80],
  [443, 443],
  [32768, 60999],
  [0, 80],
  [0, 65534],
  [1, 65535],
  [81, 65535],
];
const PROTOS: [number, number][] = [
  [0, 0],
  [6, 0xff],
  [17, 0xff],
  [1, 0xff],
  [58, 0xff],
  [132, 0xff],
  [47, 0xff],
  [4, 0xfc],
];
const ICMP: [number, number][] = [
  [-1, -1],
  [3, -1],
  [3, 4],
  [3, 3],
  [8, 0],
];
const FLAGS = [null, { value: 0x02, mask: 0x02 }, { value: 0, mask: 0x12 }, { value: 0x10, mask: 0x10 }];

function ruleArb(family: 4 | 6, classbench: boolean): fc.Arbitrary<Omit<Rule, 'ruleNumber'>> {
  const cidr = fc.constantFrom(...(family === 4 ? V4 : V6)).map((c) => (parseCidr(c) as { cidr: Rule['src'] }).cidr);
  const any = (family === 4 ? parseCidr('0.0.0.0/0') : parseCidr('::/0')) as { cidr: Rule['src'] };
  return fc
    .record({
      action: fc.constantFrom<'allow' | 'deny'>('allow', 'deny'),
      proto: fc.constantFrom(...PROTOS),
      src: cidr,
      dst: classbench ? cidr : fc.constant(any.cidr),
      srcPorts: classbench ? fc.constantFrom(...PORTS) : fc.constant<[number, number]>([0, 65535]),
      dstPorts: fc.constantFrom(...PORTS),
      icmp: fc.constantFrom(...ICMP),
      tcpFlags: classbench ? fc.constantFrom(...FLAGS) : fc.constant(null),
    })
    .map((r) => {
      const [protocol, protocolMask] = r.proto;
      const icmpOk = protocol === 1 || protocol === 58;
      return {
        action: classbench ? 'allow' : r.action,
        family,
        protocol,
        protocolMask,
        src: r.src,
        dst: r.dst,
        srcPorts: r.srcPorts,
        dstPorts: r.dstPorts,
        icmpType: icmpOk ? r.icmp[0] : -1,
        icmpCode: icmpOk ? r.icmp[1] : -1,
        tcpFlags: r.tcpFlags,
        origin: { file: 'gen' },
      };
    });
}

function listArb(family: 4 | 6, classbench: boolean): fc.Arbitrary<Rule[]> {
  return fc.array(ruleArb(family, classbench), { minLength: 1, maxLength: 9 }).map((rs) => {
    const rules: Rule[] = rs.map((r, i) => ({ ...r, ruleNumber: i + 1 }));
    if (!classbench) {
      const any = (parseCidr(family === 4 ? '0.0.0.0/0' : '::/0') as { cidr: Rule['src'] }).cidr;
      rules.push({ ruleNumber: '*', action: 'deny', family, protocol: 0, protocolMask: 0, src: any, dst: any, srcPorts: [0, 65535], dstPorts: [0, 65535], icmpType: -1, icmpCode: -1, tcpFlags: null, origin: { file: 'gen' } });
    }
    return rules;
  });
}

/** What a finding can depend on: with `next`, everything; without it (ClassBench), whether first, and who wins if never. */
function visible(o: RuleOverlap, next: boolean): unknown {
  if (!o.matchable) return { matchable: false };
  if (!o.firstSomewhere) return { firstSomewhere: false, winners: o.winners };
  return next ? { firstSomewhere: true, winners: o.winners, next: o.next, same: o.nextSameAction } : { firstSomewhere: true };
}

describe('rule-by-rule overlap analysis equals the whole-list reference', () => {
  for (const family of [4, 6] as const) {
    for (const classbench of [false, true]) {
      it(`IPv${family}, ${classbench ? 'ClassBench-like (no next rules)' : 'AWS-like (with next rules)'}`, () => {
        fc.assert(
          fc.property(listArb(family, classbench), (rules) => {
            const got = analyseOverlaps(rules, family, { next: !classbench });
            expect(got.stoppedAt).toBeNull();
            const want = referenceOverlaps(rules, family);
            // '*' rules are never reported, so never analysed; the others meet them as candidates.
            const reported = (_: unknown, k: number) => rules[k]!.ruleNumber !== '*';
            expect(got.rules.filter(reported).map((o) => visible(o!, !classbench))).toEqual(want.filter(reported).map((o) => visible(o, !classbench)));
          }),
          { numRuns: classbench ? 60 : 150, seed: 15 + family + (classbench ? 1 : 0) },
        );
      });
    }
  }
});

describe('the work budget', () => {
  const rules = fc.sample(listArb(4, false), { numRuns: 1, seed: 7 })[0]!;

  it('is deterministic and never changes an answer it gives', () => {
    const full = analyseOverlaps(rules, 4, { next: true });
    for (const totalBudget of [50, 500, 2000, 10_000]) {
      const a = analyseOverlaps(rules, 4, { next: true, totalBudget });
      expect(analyseOverlaps(rules, 4, { next: true, totalBudget })).toEqual(a);
      a.rules.forEach((o, k) => {
        if (o) expect(o).toEqual(full.rules[k]);
      });
      expect(a.rules.filter((o, k) => o === null && rules[k]!.ruleNumber !== '*').length === 0).toBe(a.stoppedAt === null && a.overBudget.length === 0);
      if (a.stoppedAt !== null) expect(a.rules.slice(a.stoppedAt).every((o) => o === null)).toBe(true);
    }
    const perRule = analyseOverlaps(rules, 4, { next: true, ruleBudget: 30 });
    expect(perRule.overBudget.length).toBeGreaterThan(0);
    for (const k of perRule.overBudget) expect(perRule.rules[k]).toBeNull();
  });
});
