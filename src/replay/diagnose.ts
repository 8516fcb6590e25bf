/**
 * Diagnoses of a replay, each with a stable code and the evidence a person needs to act:
 * RETURN_PORT_NOT_ALLOWED (with the smallest AWS entry that fixes it, verified by replaying again),
 * RANGE_PARTIALLY_COVERED, FORWARD_DENIED, ICMP_NEEDED, NOT_CROSSING_SUBNET, and FAILURES_MATCH_RULE, which ties the
 * connections that failed in the capture to the rule that would deny them.
 */
import { compileAcl, toShared } from '../acl/compile.js';
import { parseCidr, formatCidr, cidrContains, anyCidr, maskWords, type Acl, type Rule, type Cidr } from '../acl/model.js';
import { PORT_PROFILES, portRanges, formatRanges } from '../profiles.js';
import type { Connection } from '../flow/connections.js';
import type { ClientProfile } from '../flow/ports.js';
import { ref, type ConnectionRef } from '../flow/failures.js';
import type { ReplayPlan, ReplaySpec } from './scenario.js';
import { gateInfo, ruleOf, type ConnectionVerdict } from './outcomes.js';
import { verdictGate } from './verdicts.js';
import { PortMaps, type Host } from './coverage.js';

/** An entry as `aws ec2 create-network-acl-entry` takes it. */
export interface AwsEntry {
  ruleNumber: number;
  protocol: string;
  ruleAction: 'allow' | 'deny';
  egress: boolean;
  cidrBlock?: string;
  ipv6CidrBlock?: string;
  portRange: { from: number; to: number };
}

export interface Fix {
  action: 'create' | 'replace';
  /** Null when no rule number is free in front of the denying rule (the note says what to do). */
  entry: AwsEntry | null;
  /** For a replacement: the entry as it is now. */
  replaces?: { ruleNumber: number; portRange: { from: number; to: number } };
  command: string | null;
  /**
   * True when, with the fix applied, every affected connection's reply is allowed and so is every port of the
   * affected clients' required range (for every distinct way the rules see a server/client pair).
   */
  verified: boolean;
  note: string;
}

export interface AffectedClient {
  host: string;
  profile: string;
  range: [number, number];
  confidence: number;
  connections: number;
  ports: [number, number];
  /** Share of the profile's range the return path does not allow, 0..1. */
  notAllowedShare: number;
  notAllowed: string;
}

export interface Diagnosis {
  code: 'RETURN_PORT_NOT_ALLOWED' | 'RANGE_PARTIALLY_COVERED' | 'FORWARD_DENIED' | 'ICMP_NEEDED' | 'NOT_CROSSING_SUBNET' | 'FAILURES_MATCH_RULE';
  severity: 'error' | 'warning' | 'info';
  scenario: string;
  acl: string | null;
  direction: 'inbound' | 'outbound' | null;
  rule: number | '*' | null;
  message: string;
  [extra: string]: unknown;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;
const capitalize = (t: string) => t.charAt(0).toUpperCase() + t.slice(1);
const pct = (x: number) => `${Math.round(x * 100)}%`;

const coverageCache = new WeakMap<Uint8Array, Map<number, { missing: [number, number][]; share: number }>>();
/** The ports of `range` a port map does not allow, and their share of the range (memoized per map and range). */
function notAllowedIn(allowed: Uint8Array, range: [number, number]): { missing: [number, number][]; share: number } {
  let byRange = coverageCache.get(allowed);
  if (!byRange) coverageCache.set(allowed, (byRange = new Map()));
  const key = range[0] * 65536 + range[1];
  let c = byRange.get(key);
  if (!c) {
    const missing = portRanges(allowed, range[0], range[1], 0);
    c = { missing, share: missing.reduce((n, [a, b]) => n + b - a + 1, 0) / (range[1] - range[0] + 1) };
    byRange.set(key, c);
  }
  return c;
}

function protoNumber(c: Connection): number {
  return c.protoNumber;
}

/** Everything diagnose() needs. */
export interface DiagnoseInput {
  plan: ReplayPlan;
  spec: ReplaySpec;
  verdicts: ConnectionVerdict[][];
  connections: Connection[];
  clients: ClientProfile[];
  /** Port maps shared by all diagnoses of a replay (created on first use). */
  portMaps?: PortMaps;
  /** Client profiles by host, shared likewise. */
  profiles?: Map<string, ClientProfile>;
}

function portMaps(input: DiagnoseInput): PortMaps {
  return (input.portMaps ??= new PortMaps(input.plan, input.spec));
}

/** Diagnoses of scenario s. */
export function diagnose(input: DiagnoseInput, s: number): Diagnosis[] {
  const out: Diagnosis[] = [];
  const list = input.verdicts[s]!;
  const profiles = (input.profiles ??= new Map(input.clients.map((c) => [c.host, c])));
  // Plain loops, not push(...xs): a scan can bring more diagnoses than a call has room for arguments.
  for (const part of [returnNotAllowed(input, s, list, profiles), partiallyCovered(input, s, list, profiles), forwardDenied(input, s, list), icmpNeeded(input, s, list), failuresMatch(input, s, list)]) {
    for (const d of part) out.push(d);
  }
  const na = notCrossing(input, s, list);
  if (na) out.push(na);
  return out;
}

/** Largest f(x) over xs (a loop: Math.max(...xs) overflows the stack on a large list). */
function maxOf<T>(xs: readonly T[], f: (x: T) => number): number {
  let m = -Infinity;
  for (const x of xs) {
    const v = f(x);
    if (v > m) m = v;
  }
  return m;
}

function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const l = m.get(k);
    if (l) l.push(it);
    else m.set(k, [it]);
  }
  return m;
}

/** Profile range to make work for a client: its inferred profile when there is one, else the ports seen. */
function requiredRange(p: ClientProfile | undefined, seen: [number, number]): [number, number] {
  if (p && p.profile !== 'unknown' && p.ports > 0) return [Math.min(p.range[0], seen[0]), Math.max(p.range[1], seen[1])];
  return seen;
}

function returnNotAllowed(input: DiagnoseInput, s: number, list: ConnectionVerdict[], profiles: Map<string, ClientProfile>): Diagnosis[] {
  const { plan, spec } = input;
  const denied = list.filter((v) => v.return.action === 'deny' && v.connection.clientPort !== null && (v.connection.proto === 'tcp' || v.connection.proto === 'udp'));
  const groups = groupBy(denied, (v) => `${v.return.code}|${v.connection.protoNumber}|${v.connection.family}`);
  const out: Diagnosis[] = [];
  for (const group of groups.values()) {
    const first = group[0]!;
    const code = first.return.code;
    const gate = gateInfo(plan, spec, verdictGate(code));
    const rule = ruleOf(plan, spec, code);
    const proto = protoNumber(first.connection);
    const byClient = [...groupBy(group, (v) => v.connection.client)];
    const clients: AffectedClient[] = [];
    let required: [number, number] | null = null;
    // The fix must cover every affected client's range; the report details the first 50.
    for (const [host, vs] of byClient) {
      let lo = 65535;
      let hi = 0;
      for (const v of vs) {
        const port = v.connection.clientPort!;
        if (port < lo) lo = port;
        if (port > hi) hi = port;
      }
      const seen: [number, number] = [lo, hi];
      const p = profiles.get(host);
      const range = requiredRange(p, seen);
      required = required ? [Math.min(required[0], range[0]), Math.max(required[1], range[1])] : range;
      if (clients.length >= 50) continue;
      const c = vs[0]!.connection;
      const allowed = portMaps(input).get(s, c.serverHost, vs[0]!.connection.clientHost, proto, c.serverPort ?? 0);
      const { missing, share: notAllowed } = notAllowedIn(allowed, range);
      clients.push({
        host,
        profile: p?.profile ?? 'unknown',
        range,
        confidence: p?.confidence ?? 0,
        connections: vs.length,
        ports: seen,
        notAllowedShare: round3(notAllowed),
        notAllowed: formatRanges(missing),
      });
    }
    const byProfile = groupBy(clients, (c) => c.profile);
    const profileText = [...byProfile]
      .map(([name, cs]) => `${name} clients (${cs.length}, ${cs[0]!.range[0]}-${cs[0]!.range[1]}): ${pct(maxOf(cs, (c) => c.notAllowedShare))} of the range not allowed`)
      .join('; ');
    const fix = proposeFix(input, s, gate.acl, gate.direction, gate.placement, rule, proto, first.connection.family, required!, group);

    out.push({
      code: 'RETURN_PORT_NOT_ALLOWED',
      severity: 'error',
      scenario: plan.scenarios[s]!.name,
      acl: gate.acl.id,
      direction: gate.direction,
      rule: rule?.ruleNumber ?? null,
      protocol: first.connection.proto,
      connections: group.length,
      synthetic: group.filter((v) => v.return.synthetic).length,
      clients,
      message: `${capitalize(ruleWords(gate.direction, rule, gate.acl.id))} denies return ${first.connection.proto} traffic to the ephemeral ports of ${group.length} connection${group.length === 1 ? '' : 's'} from ${clients.length} client${clients.length === 1 ? '' : 's'}: ${profileText}`,
      fix,
      examples: group.slice(0, 5).map((v) => ref(v.connection)),
    });
  }
  return out;
}

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

/**
 * The smallest change that lets every affected connection's return traffic through: widen an existing allow rule
 * of the same protocol whose range touches the missing ports (placed before the denying rule, and only when the
 * wider range shadows no other explicit deny), else add one entry covering the missing ports just before the
 * denying rule. Verified by replaying the affected returns and probing every port of the required range.
 */
function proposeFix(input: DiagnoseInput, s: number, acl: Acl, direction: 'inbound' | 'outbound', placement: number, denyRule: Rule | null, proto: number, family: 4 | 6, required: [number, number], group: ConnectionVerdict[]): Fix {
  const rules = direction === 'inbound' ? acl.inbound : acl.outbound;
  const limit = denyRule && denyRule.ruleNumber !== '*' ? denyRule.ruleNumber : Infinity;
  // The ports of the required range still denied for the affected clients: one pass per distinct port map, for
  // the first 32 host pairs (a scan can bring thousands; verification below checks every connection).
  const missingSet = new Uint8Array(65536);
  const maps = new Set<Uint8Array>();
  const pairs = new Set<string>();
  for (const v of group) {
    const c = v.connection;
    const pair = `${c.server}|${c.client}|${c.serverPort}`;
    if (pairs.has(pair)) continue;
    pairs.add(pair);
    maps.add(portMaps(input).get(s, c.serverHost, c.clientHost, proto, c.serverPort ?? 0));
    if (maps.size >= 32 || pairs.size >= 4096) break;
  }
  for (const allowed of maps) for (let p = required[0]; p <= required[1]; p++) if (!allowed[p]) missingSet[p] = 1;
  const missing = portRanges(missingSet, 0, 65535, 1);
  const lo = missing.length ? missing[0]![0] : required[0];
  const hi = missing.length ? missing[missing.length - 1]![1] : required[1];
  // Returns travel server -> client: egress rules name the clients as destination, ingress rules the servers as source.
  const matched = uniqueHosts(group.map((v) => (direction === 'outbound' ? v.connection.clientHost : v.connection.serverHost)));
  const covers = (r: Rule) => {
    const cidr = direction === 'outbound' ? r.dst : r.src;
    return matched.every((h) => cidrContains(cidr, h.words, 0));
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
  const problem = verifyFix(input, s, acl, direction, placement, fix, fix.entry!, proto, family, required, group);
  fix.verified = problem === null;
  if (problem) fix.note += `; not enough on its own: ${problem}`;
  return fix;
}

function uniqueHosts(hosts: Host[]): Host[] {
  // Connections share one Host object per address: identity is enough.
  return [...new Set(hosts)];
}

/** The plan and replay spec with `fix` applied to the ACL of `placement`. */
function fixedScenario(input: DiagnoseInput, acl: Acl, direction: 'inbound' | 'outbound', placement: number, fix: Fix, entry: AwsEntry, proto: number, family: 4 | 6): { plan: ReplayPlan; spec: ReplaySpec } | null {
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
  const c = compileAcl(fixed);
  const index = input.spec.placements[placement]!.acl;
  return {
    plan: { ...input.plan, acls: input.plan.acls.map((a, i) => (i === index ? fixed : a)) },
    spec: {
      ...input.spec,
      acls: input.spec.acls.map((a, i) =>
        i === index
          ? {
              inbound: toShared(c.inbound),
              outbound: toShared(c.outbound),
              inboundAllow: Uint8Array.from(fixed.inbound, (r) => (r.action === 'allow' ? 1 : 0)),
              outboundAllow: Uint8Array.from(fixed.outbound, (r) => (r.action === 'allow' ? 1 : 0)),
            }
          : a,
      ),
    },
  };
}

/**
 * Apply the fix to a copy of the ACL, then check with port maps of the fixed scenario (65536 probes per distinct
 * way the rules see a server/client pair, shared by pairs the rules cannot tell apart): (1) every affected
 * connection's reply port is allowed, (2) so is every port of the required range. A fix that lets today's ports
 * through but not the rest of the clients' ephemeral range is not verified. Null when verified, else why not.
 */
function verifyFix(input: DiagnoseInput, s: number, acl: Acl, direction: 'inbound' | 'outbound', placement: number, fix: Fix, entry: AwsEntry, proto: number, family: 4 | 6, required: [number, number], group: ConnectionVerdict[]): string | null {
  const fixed = fixedScenario(input, acl, direction, placement, fix, entry, proto, family);
  if (!fixed) return 'the entry does not parse';
  const maps = new PortMaps(fixed.plan, fixed.spec);
  const rangeChecked = new Set<Uint8Array>();
  for (const v of group) {
    const c = v.connection;
    const allowed = maps.get(s, c.serverHost, c.clientHost, proto, c.serverPort ?? 0);
    if (!allowed[c.clientPort ?? 0]) return `the reply to ${c.client} port ${c.clientPort} is still denied`;
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
    if (any) return `ports ${formatRanges(portRanges(denied, 0, 65535, 1))} of the affected clients' range ${required[0]}-${required[1]} stay denied by other rules (for ${c.client}, say)`;
  }
  return null;
}

function partiallyCovered(input: DiagnoseInput, s: number, list: ConnectionVerdict[], profiles: Map<string, ClientProfile>): Diagnosis[] {
  const { plan, spec } = input;
  const blocked = new Set<string>();
  for (const v of list) if (v.return.action === 'deny') blocked.add(v.connection.client);
  // The first 200 clients whose returns all got through, with their connections.
  const byClient = new Map<string, ConnectionVerdict[]>();
  for (const v of list) {
    if (v.return.action !== 'allow' || v.connection.clientPort === null || blocked.has(v.connection.client)) continue;
    const vs = byClient.get(v.connection.client);
    if (vs) vs.push(v);
    else if (byClient.size < 200) byClient.set(v.connection.client, [v]);
  }
  const findings = new Map<string, { gate: number; profile: string; clients: AffectedClient[] }>();
  for (const [host, vs] of byClient) {
    const p = profiles.get(host);
    if (!p || p.profile === 'unknown') continue;
    const c = vs[0]!.connection;
    const allowed = portMaps(input).get(s, c.serverHost, vs[0]!.connection.clientHost, c.protoNumber, c.serverPort ?? 0);
    const { missing, share } = notAllowedIn(allowed, p.range);
    if (share === 0) continue;
    const gate = verdictGate(vs[0]!.return.code);
    const key = `${gate}|${p.profile}`;
    const f = findings.get(key) ?? { gate, profile: p.profile, clients: [] };
    f.clients.push({ host, profile: p.profile, range: p.range, confidence: p.confidence, connections: vs.length, ports: [p.minPort, p.maxPort], notAllowedShare: round3(share), notAllowed: formatRanges(missing) });
    findings.set(key, f);
  }
  return [...findings.values()].map((f) => {
    const g = gateInfo(plan, spec, f.gate);
    const worst = maxOf(f.clients, (c) => c.notAllowedShare);
    const prof = PORT_PROFILES.find((x) => x.name === f.profile);
    return {
      code: 'RANGE_PARTIALLY_COVERED' as const,
      severity: 'warning' as const,
      scenario: plan.scenarios[s]!.name,
      acl: g.acl.id,
      direction: g.direction,
      rule: null,
      profile: f.profile,
      failureProbability: worst,
      clients: f.clients,
      message: `${prof?.description ?? f.profile} clients (${f.clients.length}, profile confidence ${maxOf(f.clients, (c) => c.confidence).toFixed(2)}): every connection in the capture worked, but ${g.direction === 'outbound' ? 'egress' : 'ingress'} of ${g.acl.id} does not allow ${f.clients[0]!.notAllowed} of their ${f.clients[0]!.range[0]}-${f.clients[0]!.range[1]} range: ${pct(worst)} of new connections will hang`,
    };
  });
}

function forwardDenied(input: DiagnoseInput, s: number, list: ConnectionVerdict[]): Diagnosis[] {
  const { plan, spec } = input;
  const denied = list.filter((v) => v.forward.action === 'deny' && !v.connection.orientation.startsWith('icmp-'));
  // One finding per deciding rule and service port; the servers behind it are listed, not split into findings.
  const groups = groupBy(denied, (v) => `${v.forward.code}|${v.connection.proto}|${v.connection.serverPort}`);
  return [...groups.values()]
    .sort((a, b) => b.length - a.length)
    .map((g) => {
      const v = g[0]!;
      const gate = gateInfo(plan, spec, verdictGate(v.forward.code));
      const rule = ruleOf(plan, spec, v.forward.code);
      const servers = [...groupBy(g, (x) => x.connection.server)].sort((a, b) => b[1].length - a[1].length);
      const service = `${v.connection.proto}/${v.connection.serverPort ?? '-'}`;
      return {
        code: 'FORWARD_DENIED' as const,
        severity: 'error' as const,
        scenario: plan.scenarios[s]!.name,
        acl: gate.acl.id,
        direction: gate.direction,
        rule: rule?.ruleNumber ?? null,
        protocol: v.connection.proto,
        serverPort: v.connection.serverPort,
        connections: g.length,
        servers: servers.length,
        topServers: servers.slice(0, 5).map(([server, cs]) => ({ server, connections: cs.length })),
        clients: new Set(g.map((x) => x.connection.client)).size,
        message: `${capitalize(ruleWords(gate.direction, rule, gate.acl.id))} denies ${g.length} connection${g.length === 1 ? '' : 's'} to ${service} on ${servers.length === 1 ? servers[0]![0] : `${servers.length} servers`}`,
        examples: g.slice(0, 5).map((x) => ref(x.connection)),
      };
    });
}

function icmpNeeded(input: DiagnoseInput, s: number, list: ConnectionVerdict[]): Diagnosis[] {
  const { plan, spec } = input;
  const ptb = list.filter((v) => {
    const c = v.connection;
    const isPtb = (c.protoNumber === 1 && c.icmpType === 3 && c.icmpCode === 4) || (c.protoNumber === 58 && c.icmpType === 2);
    return isPtb && (v.forward.action === 'deny' || v.return.action === 'deny');
  });
  const groups = groupBy(ptb, (v) => String(v.forward.action === 'deny' ? v.forward.code : v.return.code));
  return [...groups.values()].map((g) => {
    const v = g[0]!;
    const code = v.forward.action === 'deny' ? v.forward.code : v.return.code;
    const gate = gateInfo(plan, spec, verdictGate(code));
    const rule = ruleOf(plan, spec, code);
    return {
      code: 'ICMP_NEEDED' as const,
      severity: 'error' as const,
      scenario: plan.scenarios[s]!.name,
      acl: gate.acl.id,
      direction: gate.direction,
      rule: rule?.ruleNumber ?? null,
      messages: g.length,
      message: `${capitalize(ruleWords(gate.direction, rule, gate.acl.id))} denies ${g.length} ICMP fragmentation-needed / packet-too-big message${g.length === 1 ? '' : 's'}: path MTU discovery breaks and large transfers hang (RFC 1191, RFC 8201); allow ICMP type 3 code 4 (ICMPv6 type 2)`,
      examples: g.slice(0, 5).map((x) => ref(x.connection)),
    };
  });
}

/** "egress rule 100" / "the default deny (*) on egress" of an ACL, for messages. */
function ruleWords(direction: 'inbound' | 'outbound', rule: Rule | null, acl: string): string {
  const dir = direction === 'outbound' ? 'egress' : 'ingress';
  if (!rule) return `no rule on ${dir} of ${acl}`;
  return rule.ruleNumber === '*' ? `the default deny (*) on ${dir} of ${acl}` : `${dir} rule ${rule.ruleNumber} (${rule.action}) of ${acl}`;
}

/**
 * Ties the capture to the candidate: are the connections that failed in the capture (unanswered, SYN-ACK never
 * acknowledged) exactly the ones the candidate denies? Lists the rules, the failures it does not explain and the
 * working connections it would break.
 */
function failuresMatch(input: DiagnoseInput, s: number, list: ConnectionVerdict[]): Diagnosis[] {
  const { plan, spec } = input;
  const deniedCode = (v: ConnectionVerdict) => (v.forward.action === 'deny' ? v.forward.code : v.return.action === 'deny' ? v.return.code : 0);
  // One pass: each verdict is one connection, so "failed and denied" is a test on the verdict itself.
  const failed: ConnectionVerdict[] = [];
  const matched: ConnectionVerdict[] = [];
  const unexplained: ConnectionVerdict[] = [];
  const wouldBreak: ConnectionVerdict[] = [];
  let denied = 0;
  for (const v of list) {
    const c = v.connection;
    const isFailed = c.attempt === 'unanswered' || c.attempt === 'synack-unacked';
    const isDenied = (c.proto === 'tcp' || c.proto === 'udp') && deniedCode(v) !== 0;
    if (isDenied) denied++;
    if (isFailed) {
      failed.push(v);
      (isDenied ? matched : unexplained).push(v);
    } else if (isDenied && c.attempt === 'completed') wouldBreak.push(v);
  }
  if (failed.length === 0 || matched.length === 0) return [];
  const byCode = groupBy(matched, (v) => String(deniedCode(v)));
  const byLabel = new Map<string, { acl: string; direction: 'inbound' | 'outbound'; rule: number | '*' | null; connections: number }>();
  for (const [codeText, g] of byCode) {
    const code = Number(codeText);
    const gate = gateInfo(plan, spec, verdictGate(code));
    const rule = ruleOf(plan, spec, code);
    const label = { acl: gate.acl.id, direction: gate.direction, rule: rule?.ruleNumber ?? null };
    const key = JSON.stringify(label);
    const e = byLabel.get(key) ?? { ...label, connections: 0 };
    e.connections += g.length;
    byLabel.set(key, e);
  }
  const rules = [...byLabel.values()].map((l) => ({
    ...l,
    words: `${l.direction === 'outbound' ? 'egress' : 'ingress'} ${l.rule === '*' ? '*' : `rule ${l.rule}`}${plan.scenarios[s]!.placements.length > 1 ? ` of ${l.acl}` : ''}`,
  }));
  const exact = unexplained.length === 0 && matched.length === denied;
  const main = rules.sort((a, b) => b.connections - a.connections)[0]!;
  const ruleText = rules.map((r) => `${r.words}: ${r.connections}`).join('; ');
  return [
    {
      code: 'FAILURES_MATCH_RULE',
      severity: 'info',
      scenario: plan.scenarios[s]!.name,
      acl: main.acl,
      direction: main.direction,
      rule: main.rule,
      failedInCapture: failed.length,
      denied,
      matched: matched.length,
      exact,
      rules,
      unexplained: unexplained.slice(0, 5).map((v) => ref(v.connection)),
      wouldBreak: wouldBreak.length,
      wouldBreakExamples: wouldBreak.slice(0, 5).map((v) => ref(v.connection)),
      message: exact
        ? `the ${failed.length} connections that failed in the capture are exactly those ${plan.scenarios[s]!.name} denies (${ruleText})`
        : `${matched.length} of the ${failed.length} connections that failed in the capture are denied by ${plan.scenarios[s]!.name} (${ruleText})` +
          (unexplained.length ? `; ${unexplained.length} failed for another reason` : '') +
          (wouldBreak.length ? `; it would also break ${wouldBreak.length} connection${wouldBreak.length === 1 ? '' : 's'} that worked` : ''),
    },
  ];
}

function notCrossing(input: DiagnoseInput, s: number, list: ConnectionVerdict[]): Diagnosis | null {
  const na = list.filter((v) => v.outcome === 'not-applicable');
  if (na.length === 0) return null;
  const sc = input.plan.scenarios[s]!;
  const subnets = sc.placements.flatMap((p) => p.subnets.map(formatCidr));
  const all = na.length === list.length;
  return {
    code: 'NOT_CROSSING_SUBNET',
    severity: all ? 'error' : 'info',
    scenario: sc.name,
    acl: null,
    direction: null,
    rule: null,
    connections: na.length,
    share: round3(na.length / Math.max(1, list.length)),
    subnets,
    suggestions: all ? suggestSubnets(input.connections) : [],
    message: all
      ? `no connection crosses ${subnets.join(', ')}: the ACL never applies. Busiest servers' networks: ${suggestSubnets(input.connections).join(', ') || '(none)'}`
      : `${na.length} of ${list.length} connections do not cross ${subnets.join(', ')} (traffic within a subnet or between other hosts): the ACL does not judge them`,
    examples: na.slice(0, 5).map((v) => ref(v.connection)) as ConnectionRef[],
  };
}

/** The /24 (IPv4) or /64 (IPv6) networks of the servers with the most connections: likely --subnet values. */
export function suggestSubnets(conns: Connection[], n = 3): string[] {
  // Per connection, the widest of these networks around the server that leaves the client outside: a subnet the
  // connection really crosses (a client in the server's /24 gives the server's /28, or the host itself).
  const prefixes = { 4: [24, 28, 32], 6: [64, 112, 128] } as const;
  const count = new Map<string, number>();
  for (const c of conns) {
    if (c.orientation.startsWith('icmp-') || c.orientation === 'first-packet') continue;
    for (const prefix of prefixes[c.family]) {
      const net: Cidr = { family: c.family, words: maskWords(c.family, c.serverHost.words, prefix), prefix };
      if (cidrContains(net, c.clientHost.words, 0)) continue;
      const text = formatCidr(net);
      count.set(text, (count.get(text) ?? 0) + 1);
      break;
    }
  }
  return [...count].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k]) => k);
}
