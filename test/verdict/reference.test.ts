/**
 * Proof for issue 5: the replay Evaluator's per-packet verdicts (compiled classifiers, subnet tables, gate order) equal
 * a reference computed here on every packet of a seeded selection of corpus captures, for generated AWS-like ACLs and
 * scenarios with one and two placements. The reference decides subnet membership with its own prefix arithmetic and
 * classifies with the linear first-match reference (src/acl/linear.ts) per direction.
 */
import { expect, it } from 'vitest';
import { linearClassify } from '../../src/acl/linear.js';
import { describeRule, type Acl, type Cidr, type Rule } from '../../src/acl/model.js';
import type { PacketBatch } from '../../src/decode/batch.js';
import { CaptureFormatError } from '../../src/errors.js';
import type { ReplayPlan } from '../../src/verdict/plan.js';
import { compilePlan } from '../../src/verdict/spec.js';
import { summarizeCapture } from '../../src/pass/summary.js';
import { Evaluator, verdictGate, verdictRule } from '../../src/verdict/evaluator.js';
import { addressText, awsAcl, cidrAround, cidrOf, cidrText, crossedSubnet, generateEntries, inCidr, pick, seededRandom, TrafficProfile } from '../helpers/aclgen.js';
import { corpusAvailable, corpusIndex, describeCorpus, type CorpusEntry } from '../helpers/corpus.js';

/** ACLREPLAY_REFERENCE_SEED=<n> tries other ACLs and picks; ACLREPLAY_REFERENCE_ALL=1 checks every readable capture. */
const SEED = Number(process.env.ACLREPLAY_REFERENCE_SEED ?? 0x5eed0005) >>> 0;
const ALL = process.env.ACLREPLAY_REFERENCE_ALL === '1';
/** Independent ACL sets and scenarios generated per capture. */
const ROUNDS = 3;
/** Captures always checked: IPv6, VLAN/QinQ, SLL/SLL2, IPv4/IPv6 fragments, ICMP/ICMPv6, other link types, the large ones. */
const REQUIRED = [
  'arkime+arkime/tests/pcap/v6-http.pcap',
  'chrissanders+packets/http_ip4and6.pcapng',
  'ntop+nDPI/tests/cfgs/default/pcap/gnutella.pcap',
  'ntop+nDPI/tests/cfgs/default/pcap/reddit.pcap',
  'zeek+zeek/testing/btest/Traces/http-vlan-0.pcap',
  'zeek+zeek/testing/btest/Traces/vlan-qinqinq.pcap',
  'zeek+zeek/testing/btest/Traces/mixed-vlan-mpls.pcap',
  'OISF+suricata-verify/tests/defrag/bug-6887-defrag-eth-vlan-ipv6-tcp/frag-eth-vlan-ipv6-tcp.pcap',
  'the-tcpdump-group+tcpdump/tests/resp_3_malicious.pcap',
  'OISF+suricata-verify/tests/decode-sll2-02/input.pcap',
  'zeek+zeek/testing/btest/Traces/linux_dlt_sll2.pcap',
  'markofu+pcaps/PracticalPacketAnalysis/ppa-capture-files/ipfragments.pcap',
  'chrissanders+packets/ipv6_fragments.pcapng',
  'OISF+suricata-verify/tests/ipv6-evasion/ipv6-malformed-fragments-15/frag-15.pcap',
  'zeek+zeek/testing/btest/Traces/ipv6-fragmented-dns.pcap',
  'OISF+suricata-verify/tests/security-8510/defrag-af-confusion-spray-h8.pcap',
  'zeek+zeek/testing/btest/Traces/tcp/timeout-with-pings.pcap',
  'appneta+tcpreplay/test/test.pcap',
  'ntop+nDPI/tests/cfgs/default/pcap/alexa-app.pcapng',
  'OISF+suricata-verify/tests/ipv6-evasion/ipv6-dos-with-ext-headers-5/denial6-5.pcap',
  'google+gopacket/pcap/test_loopback.pcap',
  'zeek+zeek/testing/btest/Traces/ppp/quic-interop-retry.pcap',
  'markofu+pcaps/NetworkForensics/evidence04.pcap',
  // 82582 packets, all 127.0.0.1 -> 127.0.0.1: never crossing, so not applicable in every scenario (volume only).
  'zeek+zeek/testing/btest/Traces/echo-connections.pcap',
];
/** Further captures drawn by the seeded PRNG from the rest of the index (readable, at most 3 MB). */
const PICKS = 24;

function selectCaptures(): CorpusEntry[] {
  const index = corpusIndex();
  const byPath = new Map(index.map((e) => [e.path, e]));
  const chosen = REQUIRED.flatMap((p) => (byPath.has(p) ? [byPath.get(p)!] : []));
  const rest = index.filter((e) => !REQUIRED.includes(e.path) && !e.flags.includes('READ-ERROR') && (ALL || e.size <= 3_000_000)).sort((a, b) => (a.path < b.path ? -1 : 1));
  if (ALL) return [...chosen, ...rest];
  const r = seededRandom(SEED, 'selection');
  for (let k = 0; k < PICKS && rest.length > 0; k++) chosen.push(rest.splice(Math.floor(r() * rest.length), 1)[0]!);
  return chosen;
}

/** A scenario as the reference sees it: placements with their ACL's rule lists, subnets and global gate numbers. */
interface RefPlacement {
  acl: Acl;
  subnets: Cidr[];
  /** Global placement index: inbound gate 2p, outbound gate 2p + 1. */
  index: number;
}

/** Verdict kind (1 allow, -1 deny, 0 not applicable), deciding gate and rule (-1 = none matched). */
interface RefVerdict {
  kind: 1 | -1 | 0;
  gate: number;
  rule: number;
}
const NOT_APPLICABLE: RefVerdict = { kind: 0, gate: -1, rule: -1 };

/** The first subnet (in placement order, then list order) holding the address: its placement and the subnet itself. */
function subnetOf(ps: RefPlacement[], addr: Uint32Array, i: number, family: number): { placement: number; subnet: Cidr | null } {
  for (let k = 0; k < ps.length; k++) for (const c of ps[k]!.subnets) if (c.family === family && inCidr(c, addr, 4 * i)) return { placement: k, subnet: c };
  return { placement: -1, subnet: null };
}

/** The documented semantics, written out: outbound list of the source's placement first, first deny drops. */
function referenceVerdict(ps: RefPlacement[], b: PacketBatch, i: number): RefVerdict {
  const fam = b.family[i]!;
  if (fam === 0 || b.frag[i] === 2) return NOT_APPLICABLE; // non-IP; later fragments are judged by countVerdicts
  const src = subnetOf(ps, b.src, i, fam);
  const dst = subnetOf(ps, b.dst, i, fam);
  // Each subnet has its own boundary, even when one ACL is associated with several: only staying inside one
  // subnet (or outside them all) escapes the ACLs.
  if (src.subnet === dst.subnet) return NOT_APPLICABLE;
  const sp = src.placement;
  const dp = dst.placement;
  let v: RefVerdict = NOT_APPLICABLE;
  if (sp >= 0) {
    const p = ps[sp]!;
    const rule = linearClassify(p.acl.outbound, b, i);
    const allow = rule >= 0 && p.acl.outbound[rule]!.action === 'allow';
    v = { kind: allow ? 1 : -1, gate: 2 * p.index + 1, rule };
    if (!allow) return v;
  }
  if (dp >= 0) {
    const p = ps[dp]!;
    const rule = linearClassify(p.acl.inbound, b, i);
    const allow = rule >= 0 && p.acl.inbound[rule]!.action === 'allow';
    v = { kind: allow ? 1 : -1, gate: 2 * p.index, rule };
  }
  return v;
}

function packetText(b: PacketBatch, i: number, frame: number): string {
  const fam = b.family[i]!;
  const w = (a: Uint32Array) => (fam === 6 ? [a[4 * i]!, a[4 * i + 1]!, a[4 * i + 2]!, a[4 * i + 3]!] : [a[4 * i]!]);
  const addr = fam === 4 || fam === 6 ? `${addressText(fam, w(b.src))} -> ${addressText(fam, w(b.dst))}` : '(not IP)';
  return `frame ${frame} (record offset ${b.recordOffset[i]}): IPv${fam} proto ${b.proto[i]} ${addr} sport ${b.sport[i]} dport ${b.dport[i]} icmp ${b.icmpType[i]}/${b.icmpCode[i]} flags 0x${b.tcpFlags[i]!.toString(16)} frag ${b.frag[i]}`;
}

function ruleText(ps: RefPlacement[], first: number, gate: number, rule: number): string {
  if (gate < 0) return '-';
  const p = ps[(gate >> 1) - first];
  if (!p) return `gate ${gate} (outside the scenario)`;
  const dir = gate & 1 ? 'outbound' : 'inbound';
  const list = p.acl[dir];
  return `gate ${gate} ${p.acl.id} ${dir} rule[${rule}] ${rule >= 0 && list[rule] ? describeRule(list[rule] as Rule) : '(none matched)'}`;
}

const totals = { captures: 0, unreadable: [] as string[], packets: 0, ipPackets: 0, ipv6: 0, laterFragments: 0, compared: 0, allow: 0, deny: 0, notApplicable: 0, noRuleDeny: 0, outboundDecided: 0, inboundDecided: 0, bothGates: 0, rules: 0, rulesDeciding: 0, ms: 0 };

async function checkCapture(e: CorpusEntry): Promise<void> {
  const t0 = Date.now();
  const profile = new TrafficProfile();
  try {
    await summarizeCapture(e.abs, { jobs: 1 }, (b) => profile.add(b));
  } catch (err) {
    if (!(err instanceof CaptureFormatError)) throw err;
    totals.unreadable.push(`${e.path}: ${err.message}`);
    return; // not a capture our reader accepts: no packets to judge
  }
  for (let round = 0; round < ROUNDS; round++) await checkRound(e, profile, round);
  totals.captures++;
  totals.ms += Date.now() - t0;
}

/** One generated plan (four ACLs, four scenarios) replayed over the capture and compared packet by packet. */
async function checkRound(e: CorpusEntry, profile: TrafficProfile, round: number): Promise<void> {
  const r = seededRandom(SEED + round, e.path);
  const gen = (id: string) => {
    const entries = generateEntries(r, profile, { families: [4, 6], directions: ['inbound', 'outbound'], minRules: 5, maxRules: 40, specificFirst: r() < 0.5 });
    totals.rules += entries.length;
    return awsAcl(id, entries);
  };
  const a = gen('gen-a');
  const bAcl = gen('gen-b');
  const c = gen('gen-c');
  // Without the '*' denies, so that "no rule matched" (-1, counted as deny) is exercised too.
  const d: Acl = { ...c, id: 'gen-c-no-default', inbound: c.inbound.filter((x) => x.ruleNumber !== '*'), outbound: c.outbound.filter((x) => x.ruleNumber !== '*') };
  // Subnets around the destinations of seen packets, mostly with a prefix that the packet crosses.
  const around = (family: 4 | 6, prefixes4: number[], prefixes6: number[]): Cidr => {
    const preferred = family === 4 ? prefixes4 : prefixes6;
    const crossed = r() < 0.85 ? crossedSubnet(r, profile, family, preferred) : null;
    if (crossed) return crossed;
    const seen = (family === 4 ? profile.v4Dst : profile.v6Dst).pick(r);
    if (seen === null || r() < 0.1) return cidrAround(r, profile, family, { side: 'dst', noZero: true });
    return cidrOf(family, typeof seen === 'number' ? [seen] : seen, pick(r, preferred));
  };
  const both = (p4: number[], p6: number[]) => [around(4, p4, p6), around(6, p4, p6)];
  // A subnet and a wider one around it (the inner placement comes first, so it wins for its addresses).
  const nested = (family: 4 | 6): [Cidr, Cidr] => {
    const inner = around(family, [24, 28, 32], [64, 96, 128]);
    const shorter = (family === 4 ? [8, 16] : [32, 48]).filter((p) => p < inner.prefix);
    const outer = cidrOf(family, inner.words, shorter.length > 0 ? pick(r, shorter) : Math.max(0, inner.prefix - 1));
    return [inner, outer];
  };
  const [inner4, outer4] = nested(4);
  const [inner6, outer6] = nested(6);
  const plan: ReplayPlan = {
    acls: [a, bAcl, c, d],
    topology: null,
    scenarios: [
      { name: 'one subnet (v4 + v6)', placements: [{ acl: 0, subnets: both([24, 32, 16], [64, 128, 48]), name: 's0' }] },
      { name: 'one placement, several subnets', placements: [{ acl: 1, subnets: [...both([32], [128]), ...both([24], [64]), around(4, [16, 8], [48])], name: 's1' }] },
      {
        name: 'two placements',
        placements: [
          { acl: 0, subnets: both([24, 32], [64, 128]), name: 's2-app' },
          { acl: 2, subnets: both([24, 32, 16], [64, 128]), name: 's2-db' },
        ],
      },
      {
        name: 'two nested placements, no default deny on the inner one',
        placements: [
          { acl: 3, subnets: [inner4, inner6], name: 's3-inner' },
          { acl: 1, subnets: [outer4, outer6], name: 's3-outer' },
        ],
      },
    ],
  };
  const spec = compilePlan(plan);
  const refs: RefPlacement[][] = [];
  let index = 0;
  for (const sc of plan.scenarios) refs.push(sc.placements.map((p) => ({ acl: plan.acls[p.acl]!, subnets: p.subnets, index: index++ })));
  // One slot per rule and a last one for packets no rule matched.
  const hits = spec.placements.flatMap((p) => [new Float64Array(plan.acls[p.acl]!.inbound.length + 1), new Float64Array(plan.acls[p.acl]!.outbound.length + 1)]);
  const na = new Float64Array(plan.scenarios.length);
  let ev: Evaluator | null = null;
  let frame = 0;
  let mismatches = 0;
  let firstMismatch = '';
  await summarizeCapture(e.abs, { jobs: 1 }, (b) => {
    ev ??= new Evaluator(spec, b.capacity);
    expect(b.length).toBeLessThanOrEqual(ev.capacity);
    ev.evaluate(b);
    for (let i = 0; i < b.length; i++) {
      frame++;
      const fam = b.family[i]!;
      if (round === 0) {
        totals.packets++;
        if (fam !== 0) totals.ipPackets++;
        if (fam === 6) totals.ipv6++;
        if (fam !== 0 && b.frag[i] === 2) totals.laterFragments++;
      }
      for (let s = 0; s < refs.length; s++) {
        const ps = refs[s]!;
        const want = referenceVerdict(ps, b, i);
        const code = ev.verdicts[s * ev.capacity + i]!;
        const kind = code > 0 ? 1 : code < 0 ? -1 : 0;
        const gate = kind === 0 ? -1 : verdictGate(code);
        const rule = kind === 0 ? -1 : verdictRule(code);
        totals.compared++;
        if (want.kind === 0) {
          totals.notApplicable++;
          if (fam !== 0 && b.frag[i] !== 2) na[s]!++;
        } else {
          if (want.kind > 0) totals.allow++;
          else totals.deny++;
          if (want.rule < 0) totals.noRuleDeny++;
          if (want.gate & 1) totals.outboundDecided++;
          else totals.inboundDecided++;
          // Tallies as the Evaluator keeps them: a hit on every gate met (inbound only when outbound allowed).
          const sp = subnetOf(ps, b.src, i, fam).placement;
          const dp = subnetOf(ps, b.dst, i, fam).placement;
          if (sp >= 0) {
            const ro = linearClassify(ps[sp]!.acl.outbound, b, i);
            const h = hits[2 * ps[sp]!.index + 1]!;
            h[ro >= 0 ? ro : h.length - 1]!++;
          }
          if (dp >= 0 && !(want.gate & 1)) {
            const h = hits[2 * ps[dp]!.index]!;
            h[want.rule >= 0 ? want.rule : h.length - 1]!++;
            if (sp >= 0) totals.bothGates++;
          }
        }
        if (kind !== want.kind || gate !== want.gate || rule !== want.rule) {
          if (mismatches++ === 0) {
            const first = ps[0]!.index;
            firstMismatch =
              `${e.path} (seed ${(SEED + round).toString(16)}, round ${round}, scenario ${s} "${plan.scenarios[s]!.name}", subnets ${plan.scenarios[s]!.placements.map((p) => `${p.name}=[${p.subnets.map(cidrText).join(' ')}]`).join(' ')}):\n` +
              `  ${packetText(b, i, frame)}\n` +
              `  expected ${want.kind === 0 ? 'not applicable' : want.kind > 0 ? 'allow' : 'deny'} ${ruleText(ps, first, want.gate, want.rule)}\n` +
              `  actual   ${kind === 0 ? 'not applicable' : kind > 0 ? 'allow' : 'deny'} ${ruleText(ps, first, gate, rule)} (code ${code})`;
          }
        }
      }
    }
  });
  expect(firstMismatch, `${mismatches} verdicts differ; first:\n${firstMismatch}`).toBe('');
  if (ev) {
    const got = ev as Evaluator;
    for (let g = 0; g < hits.length; g++) expect(Array.from(got.ruleHits[g]!), `${e.path}: rule hits of gate ${g}`).toEqual(Array.from(hits[g]!));
    for (const h of hits) totals.rulesDeciding += h.filter((x) => x > 0).length;
    expect(Array.from(got.notApplicable), `${e.path}: not-applicable counts per scenario`).toEqual(Array.from(na));
  }
}

describeCorpus('replay verdicts: Evaluator == linear reference on every packet of corpus captures (generated AWS ACLs)', () => {
  const selected = corpusAvailable() ? selectCaptures() : [];
  it('selects the required captures and the seeded picks', () => {
    expect(selected.length).toBeGreaterThanOrEqual(REQUIRED.length + PICKS - 2);
  });
  for (const e of selected) it(e.path, { timeout: 30_000 }, () => checkCapture(e));
  it('compared a meaningful number of packets and saw every verdict kind', () => {
    process.stderr.write(`reference: ${JSON.stringify(totals)}\n`);
    expect(totals.captures).toBeGreaterThanOrEqual(REQUIRED.length);
    expect(totals.ipPackets).toBeGreaterThan(150_000);
    expect(totals.ipv6).toBeGreaterThan(10_000);
    expect(totals.laterFragments).toBeGreaterThan(100);
    expect(totals.allow).toBeGreaterThan(10_000);
    expect(totals.deny).toBeGreaterThan(10_000);
    expect(totals.notApplicable).toBeGreaterThan(10_000);
    expect(totals.noRuleDeny).toBeGreaterThan(0);
    expect(totals.outboundDecided).toBeGreaterThan(1000);
    expect(totals.inboundDecided).toBeGreaterThan(1000);
    expect(totals.bothGates).toBeGreaterThan(100);
    expect(totals.rulesDeciding, '(gate, rule) pairs that decided at least one packet').toBeGreaterThan(1000);
  });
});
