/**
 * Fix search for dropped return traffic: the smallest AWS entry change that lets every affected connection's reply
 * through, checked on a copy of the ACL with the replay's own evaluator (port maps of the fixed scenario).
 */
import { parseCidr, formatCidr, cidrContains, anyCidr, type Acl, type Rule, type Cidr } from '../acl/model.js';
import { portRanges, formatRanges } from '../profiles.js';
import type { ReplayPlan } from '../verdict/plan.js';
import { specAcl, type ReplaySpec } from '../verdict/spec.js';
import { PortMaps } from '../verdict/probe.js';
import { portMaps, type AwsEntry, type DiagnoseInput, type Fix } from './diagnoses/common.js';

/**
 * AWS rule number below `below` that is free in the direction, as close to it as possible (entries are numbered
 * 1-32766); null when none is free.
 */
function freeRuleNumber(rules: Rule[], below: number): number | null {
  const used = new Set<number>();
  let max = 0;
  for (const r of rules) {
    if (r.ruleNumber === '*') continue;
    used.add(r.ruleNumber);
    if (r.ruleNumber > max) max = r.ruleNumber;
  }
  if (below > 32766) {
    // Nothing to stay in front of but the default rule: after the last entry, on a multiple of 10 when free.
    for (let n = Math.min(32766, Math.ceil((max + 1) / 10) * 10); n <= 32766; n++) if (!used.has(n)) return n;
  }
  for (let n = Math.min(below - 1, 32766); n >= 1; n--) if (!used.has(n)) return n;
  return null;
}

function entryCidr(family: 4 | 6, c: Cidr): Pick<AwsEntry, 'cidrBlock' | 'ipv6CidrBlock'> {
  return family === 4 ? { cidrBlock: formatCidr(c) } : { ipv6CidrBlock: formatCidr(c) };
}

function command(aclId: string, action: 'create' | 'replace', e: AwsEntry): string {
  const cidr = e.cidrBlock ? `--cidr-block ${e.cidrBlock}` : `--ipv6-cidr-block ${e.ipv6CidrBlock}`;
  const proto = e.protocol === '6' ? 'tcp' : e.protocol === '17' ? 'udp' : e.protocol;
  return `aws ec2 ${action}-network-acl-entry --network-acl-id ${aclId} ${e.egress ? '--egress' : '--ingress'} --rule-number ${e.ruleNumber} --protocol ${proto} --port-range From=${e.portRange.from},To=${e.portRange.to} ${cidr} --rule-action ${e.ruleAction}`;
}

function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return a.family === b.family && (cidrContains(a, b.words, 0) || cidrContains(b, a.words, 0));
}

/**
 * Explicit deny rules numbered after `after` (other than the one being worked around) that an allow rule with
 * these CIDRs, protocol and destination ports would now shadow: the fix would open more than it means to.
 */
function shadowedDenies(rules: Rule[], after: number, except: Rule | null, family: 4 | 6, proto: number, src: Cidr, dst: Cidr, ports: [number, number][]): Rule[] {
  return rules.filter(
    (d) =>
      d.action === 'deny' &&
      d !== except &&
      d.ruleNumber !== '*' &&
      d.ruleNumber > after &&
      d.family === family &&
      (d.protocol & d.protocolMask) === (proto & d.protocolMask) &&
      cidrsOverlap(d.src, src) &&
      cidrsOverlap(d.dst, dst) &&
      ports.some(([lo, hi]) => d.dstPorts[0] <= hi && d.dstPorts[1] >= lo),
  );
}

/** Where the return traffic to fix was denied: scenario, gate (ACL, direction, placement) and denying rule. */
export interface FixSite {
  scenario: number;
  acl: Acl;
  direction: 'inbound' | 'outbound';
  placement: number;
  denyRule: Rule | null;
  proto: number;
  family: 4 | 6;
  /** The client ports every affected client needs allowed. */
  required: [number, number];
  /** Connection rows whose replies were denied. */
  rows: readonly number[];
}

/**
 * The smallest change that lets every affected connection's return traffic through: widen an existing allow rule
 * of the same protocol whose range touches the missing ports (placed before the denying rule, and only when the
 * wider range shadows no other explicit deny), else add one entry covering the missing ports just before the
 * denying rule. Verified by replaying the affected returns and probing every port of the required range.
 */
export function proposeFix(input: DiagnoseInput, site: FixSite): Fix {
  const { scenario: s, acl, direction, denyRule, proto, family, required, rows: group } = site;
  const ct = input.connections;
  const rules = direction === 'inbound' ? acl.inbound : acl.outbound;
  const limit = denyRule && denyRule.ruleNumber !== '*' ? denyRule.ruleNumber : Infinity;
  // The ports of the required range still denied for the affected clients: one pass per distinct port map, for
  // the first 32 host pairs (a scan can bring thousands; verification below checks every connection).
  const missingSet = new Uint8Array(65536);
  const maps = new Set<Uint8Array>();
  const pairs = new Map<number, Set<number>>();
  let pairCount = 0;
  for (const i of group) {
    const service = ct.server[i]! * 65536 + ct.serverPort[i]!;
    let clients = pairs.get(service);
    if (!clients) pairs.set(service, (clients = new Set()));
    if (clients.has(ct.client[i]!)) continue;
    clients.add(ct.client[i]!);
    pairCount++;
    maps.add(portMaps(input).get(s, ct.server[i]!, ct.client[i]!, proto, ct.serverPort[i]!));
    if (maps.size >= 32 || pairCount >= 4096) break;
  }
  for (const allowed of maps) for (let p = required[0]; p <= required[1]; p++) if (!allowed[p]) missingSet[p] = 1;
  const missing = portRanges(missingSet, 0, 65535, 1);
  const lo = missing.length ? missing[0]![0] : required[0];
  const hi = missing.length ? missing[missing.length - 1]![1] : required[1];
  // Returns travel server -> client: egress rules name the clients as destination, ingress rules the servers as source.
  const matched = new Set<number>();
  for (const i of group) matched.add(direction === 'outbound' ? ct.client[i]! : ct.server[i]!);
  const words = ct.addresses.words;
  const covers = (r: Rule) => {
    const cidr = direction === 'outbound' ? r.dst : r.src;
    for (const a of matched) if (!cidrContains(cidr, words, 4 * a)) return false;
    return true;
  };
  const added = (r: Rule): [number, number][] => {
    const out: [number, number][] = [];
    if (lo < r.dstPorts[0]) out.push([lo, r.dstPorts[0] - 1]);
    if (hi > r.dstPorts[1]) out.push([r.dstPorts[1] + 1, hi]);
    return out;
  };
  const candidates = rules.filter(
    (r) =>
      r.action === 'allow' &&
      r.family === family &&
      r.ruleNumber !== '*' &&
      r.ruleNumber < limit &&
      r.protocolMask === 0xff &&
      r.protocol === proto &&
      covers(r) &&
      r.dstPorts[1] + 1 >= lo &&
      r.dstPorts[0] - 1 <= hi &&
      shadowedDenies(rules, r.ruleNumber, denyRule, family, proto, r.src, r.dst, added(r)).length === 0,
  );
  let fix: Fix;
  if (candidates.length > 0) {
    // The candidate that needs the fewest ports added.
    const width = (r: Rule) => Math.max(r.dstPorts[1], hi) - Math.min(r.dstPorts[0], lo) - (r.dstPorts[1] - r.dstPorts[0]);
    const r = candidates.reduce((best, c) => (width(c) < width(best) ? c : best));
    const from = Math.min(r.dstPorts[0], lo);
    const to = Math.max(r.dstPorts[1], hi);
    const entry: AwsEntry = { ruleNumber: r.ruleNumber as number, protocol: String(proto), ruleAction: 'allow', egress: direction === 'outbound', ...entryCidr(family, direction === 'outbound' ? r.dst : r.src), portRange: { from, to } };
    fix = { action: 'replace', entry, replaces: { ruleNumber: r.ruleNumber as number, portRange: { from: r.dstPorts[0], to: r.dstPorts[1] } }, command: command(acl.id, 'replace', entry), verified: false, note: `widen rule ${r.ruleNumber} from ${r.dstPorts[0]}-${r.dstPorts[1]} to ${from}-${to}` };
  } else {
    const n = freeRuleNumber(rules, limit);
    // The client side: the CIDR of an existing allow rule of this protocol that holds every affected host, else any.
    const existing = rules.find((r) => r.action === 'allow' && r.family === family && r.protocol === proto && r.protocolMask === 0xff && covers(r));
    const cidr = existing ? (direction === 'outbound' ? existing.dst : existing.src) : anyCidr(family);
    const before = denyRule ? (denyRule.ruleNumber === '*' ? 'the default deny' : `rule ${denyRule.ruleNumber}`) : 'the end';
    if (n === null) {
      return { action: 'create', entry: null, command: null, verified: false, note: `no free rule number before ${before}: renumber the ACL, then allow ${proto === 6 ? 'tcp' : proto === 17 ? 'udp' : proto} ${lo}-${hi} ${direction === 'outbound' ? 'to' : 'from'} ${formatCidr(cidr)}` };
    }
    const entry: AwsEntry = { ruleNumber: n, protocol: String(proto), ruleAction: 'allow', egress: direction === 'outbound', ...entryCidr(family, cidr), portRange: { from: lo, to: hi } };
    const any = anyCidr(family);
    const shadowed = shadowedDenies(rules, n, denyRule, family, proto, direction === 'inbound' ? cidr : any, direction === 'outbound' ? cidr : any, [[lo, hi]]);
    const also = shadowed.length ? `; it also lets through what rule${shadowed.length === 1 ? '' : 's'} ${shadowed.map((d) => d.ruleNumber).join(', ')} deny${shadowed.length === 1 ? 's' : ''} in ${lo}-${hi}: review ${shadowed.length === 1 ? 'it' : 'them'}` : '';
    fix = { action: 'create', entry, command: command(acl.id, 'create', entry), verified: false, note: `add rule ${n} before ${before}${also}` };
  }
  const problem = verifyFix(input, site, fix, fix.entry!);
  fix.verified = problem === null;
  if (problem) fix.note += `; not enough on its own: ${problem}`;
  return fix;
}

/** The plan and replay spec with `fix` applied to the ACL of the site's placement. */
function fixedScenario(input: DiagnoseInput, site: FixSite, fix: Fix, entry: AwsEntry): { plan: ReplayPlan; spec: ReplaySpec } | null {
  const { acl, direction, placement, proto, family } = site;
  const rules = direction === 'inbound' ? acl.inbound : acl.outbound;
  const parsed = parseCidr(entry.cidrBlock ?? entry.ipv6CidrBlock!);
  if (!parsed.ok) return null;
  const newRule: Rule = {
    ruleNumber: entry.ruleNumber,
    action: 'allow',
    family,
    protocol: proto,
    protocolMask: 0xff,
    src: direction === 'inbound' ? parsed.cidr : anyCidr(family),
    dst: direction === 'outbound' ? parsed.cidr : anyCidr(family),
    srcPorts: [0, 65535],
    dstPorts: [entry.portRange.from, entry.portRange.to],
    icmpType: -1,
    icmpCode: -1,
    tcpFlags: null,
    origin: { file: '(proposed fix)' },
  };
  const kept = fix.action === 'replace' ? rules.filter((r) => !(r.ruleNumber === entry.ruleNumber && r.family === family)) : rules;
  const numbered = [...kept.filter((r) => r.ruleNumber !== '*'), newRule].sort((a, b) => (a.ruleNumber as number) - (b.ruleNumber as number));
  const fixedRules = [...numbered, ...kept.filter((r) => r.ruleNumber === '*')];
  const fixed: Acl = { ...acl, [direction]: fixedRules };
  const index = input.spec.placements[placement]!.acl;
  return {
    plan: { ...input.plan, acls: input.plan.acls.map((a, i) => (i === index ? fixed : a)) },
    spec: { ...input.spec, acls: input.spec.acls.map((a, i) => (i === index ? specAcl(fixed) : a)) },
  };
}

/**
 * Apply the fix to a copy of the ACL, then check with port maps of the fixed scenario (one probe per interval of
 * rule port boundaries per distinct way the rules see a server/client pair): (1) every affected connection's reply
 * port is allowed, (2) so is every port of the required range. A fix that lets today's ports through but not the
 * rest of the clients' ephemeral range is not verified. Null when verified, else why not.
 */
function verifyFix(input: DiagnoseInput, site: FixSite, fix: Fix, entry: AwsEntry): string | null {
  const fixed = fixedScenario(input, site, fix, entry);
  if (!fixed) return 'the entry does not parse';
  const ct = input.connections;
  const { scenario: s, proto, required } = site;
  const maps = new PortMaps(fixed.plan, fixed.spec, ct.addresses);
  const rangeChecked = new Set<Uint8Array>();
  for (const i of site.rows) {
    const allowed = maps.get(s, ct.server[i]!, ct.client[i]!, proto, ct.serverPort[i]!);
    const client = ct.addresses.text(ct.client[i]!);
    if (!allowed[ct.clientPort[i]!]) return `the reply to ${client} port ${ct.clientPort[i]} is still denied`;
    if (rangeChecked.has(allowed)) continue;
    rangeChecked.add(allowed);
    const denied = new Uint8Array(65536);
    let any = false;
    for (let p = required[0]; p <= required[1]; p++) {
      if (!allowed[p]) {
        denied[p] = 1;
        any = true;
      }
    }
    if (any) return `ports ${formatRanges(portRanges(denied, 0, 65535, 1))} of the affected clients' range ${required[0]}-${required[1]} stay denied by other rules (for ${client}, say)`;
  }
  return null;
}

