/**
 * Fixes for return traffic, per gate (ACL and direction), protocol and address family: the entry changes that let
 * the reply to every port of the inferred range of every client seen using that protocol through that gate get
 * through, including clients whose connections all worked in the capture. Ports the default deny refuses are opened;
 * ports an explicit deny refuses stay denied (an allow is never placed where it would shadow a deny) and are listed.
 *
 * The change is the smallest that does it: one widened allow rule when one touches the missing ports and widening
 * it shadows no explicit deny, else new entries (runs of missing ports merged over ports that need nothing), placed
 * after every explicit deny they overlap. New entries of one direction get distinct rule numbers across protocols
 * and families; the AWS quota of rules per direction and family (20 by default, 40 at most) is respected by merging
 * the runs with the smallest gaps, and the fix says so. Every fix of a scenario is applied to a copy of the ACLs and
 * the coverage probed again with the replay's own evaluator (for every distinct way the rules see a server/client
 * pair); in a topology the next gate's denials appear then, and are planned in a second round.
 */
import { cidrContains, anyCidr, formatCidr, parseCidr, type Acl, type Rule, type Cidr } from '../acl/model.js';
import { entryCommand } from '../acl/emit/commands.js';
import type { ReplayPlan } from '../verdict/plan.js';
import { specAcl, type ReplaySpec } from '../verdict/spec.js';
import { PortMaps, type PortVerdicts } from '../verdict/probe.js';
import { verdictGate } from '../verdict/evaluator.js';
import { ruleOf } from '../verdict/outcomes.js';
import { scenarioCoverage, defaultDenyTest, addRange, rangesText, type ScenarioCoverage } from './coverage.js';
import { coverageOf, portMaps, type AwsEntry, type DiagnoseInput, type Fix } from './diagnoses/common.js';

/** AWS default quota of rules per network ACL direction and address family, and the most it can be raised to. */
export const AWS_RULE_QUOTA = 20;
export const AWS_RULE_QUOTA_MAX = 40;
/** Rounds of plan-and-probe (a topology's return path can cross two gates). */
const ROUNDS = 3;

/** What one gate, protocol and family must open: the union over its clients. */
interface Demand {
  key: string;
  acl: number;
  direction: 'inbound' | 'outbound';
  family: 4 | 6;
  proto: 6 | 17;
  /** Ports some client's range needs and only the default deny refuses (1 = missing). */
  missing: Uint8Array;
  /** Ports the default deny refuses for some server/client pair of the demand, in or out of any range. */
  closed: Uint8Array;
  /** Address ids the entry's CIDR must hold: clients on egress (the destination), servers on ingress (the source). */
  hosts: Set<number>;
  /** Client address ids needing ports, with the range each needs. */
  clients: Map<number, [number, number]>;
  required: [number, number][];
}

/** The fix key of a gate, protocol and family (per ACL of the plan and direction). */
export function fixKey(acl: number, direction: 'inbound' | 'outbound', family: 4 | 6, proto: number): string {
  return `${acl}:${direction}:${family}:${proto}`;
}

/** The fix key of a coverage gate. */
export function gateFixKey(spec: ReplaySpec, gate: number, family: 4 | 6, proto: number): string {
  return fixKey(spec.placements[gate >> 1]!.acl, gate & 1 ? 'outbound' : 'inbound', family, proto);
}

const protoWord = (p: number) => (p === 6 ? 'tcp' : 'udp');
const dirWord = (d: 'inbound' | 'outbound') => (d === 'outbound' ? 'egress' : 'ingress');

/** Demands of a scenario's coverage (only the keys not yet planned). */
function demandsOf(plan: ReplayPlan, spec: ReplaySpec, cov: ScenarioCoverage, pm: PortMaps, s: number, skip: Set<string>): Map<string, Demand> {
  const out = new Map<string, Demand>();
  const isDefault = defaultDenyTest(plan, spec);
  const closedDone = new Map<string, Set<PortVerdicts>>();
  for (const cc of cov.clients) {
    for (const gc of cc.gates) {
      if (gc.missing.length === 0) continue;
      const key = gateFixKey(spec, gc.gate, cc.family, cc.proto);
      if (skip.has(key)) continue;
      let d = out.get(key);
      if (!d) {
        const direction = gc.gate & 1 ? 'outbound' : 'inbound';
        out.set(key, (d = { key, acl: spec.placements[gc.gate >> 1]!.acl, direction, family: cc.family, proto: cc.proto, missing: new Uint8Array(65536), closed: new Uint8Array(65536), hosts: new Set(), clients: new Map(), required: [] }));
        closedDone.set(key, new Set());
      }
      for (const [a, b] of gc.missing) d.missing.fill(1, a, b + 1);
      d.clients.set(cc.address, cc.range);
      addRange(d.required, cc.range[0], cc.range[1]);
      const done = closedDone.get(key)!;
      for (const combo of cc.combos) {
        d.hosts.add(d.direction === 'outbound' ? cc.address : combo.server);
        const pv = pm.verdicts(s, combo.server, cc.address, cc.proto, combo.serverPort);
        if (done.has(pv)) continue;
        done.add(pv);
        const st = pv.starts;
        for (let k = 0; k < st.length; k++) {
          const code = pv.codes[k]!;
          if (code < 0 && verdictGate(code) === gc.gate && isDefault(code)) d.closed.fill(1, st[k]!, k + 1 < st.length ? st[k + 1]! : 65536);
        }
      }
    }
  }
  return out;
}

function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return a.family === b.family && (cidrContains(a, b.words, 0) || cidrContains(b, a.words, 0));
}

/** The CIDR an entry of this direction matches: the destination on egress, the source on ingress. */
const sideCidr = (r: Rule, direction: 'inbound' | 'outbound') => (direction === 'outbound' ? r.dst : r.src);

/** Explicit denies an allow of `cidr`, protocol and these ports would shadow when numbered below them. */
function overlappingDenies(rules: readonly Rule[], d: Demand, cidr: Cidr, ranges: readonly [number, number][]): Rule[] {
  return rules.filter(
    (r) =>
      r.action === 'deny' &&
      r.ruleNumber !== '*' &&
      r.family === d.family &&
      (r.protocol & r.protocolMask) === (d.proto & r.protocolMask) &&
      cidrsOverlap(sideCidr(r, d.direction), cidr) &&
      ranges.some(([lo, hi]) => r.dstPorts[0] <= hi && r.dstPorts[1] >= lo),
  );
}

/** Runs of value 1 in a port bitmap. */
function runs(bits: Uint8Array): [number, number][] {
  const out: [number, number][] = [];
  let startAt = -1;
  for (let p = 0; p <= 65536; p++) {
    const on = p < 65536 && bits[p] === 1;
    if (on && startAt < 0) startAt = p;
    else if (!on && startAt >= 0) {
      out.push([startAt, p - 1]);
      startAt = -1;
    }
  }
  return out;
}

/** Ports of [a, b] that are closed and not missing: what covering them would newly open without need. */
function exposure(d: Demand, a: number, b: number): number {
  let n = 0;
  for (let p = a; p <= b; p++) if (d.closed[p] === 1 && d.missing[p] === 0) n++;
  return n;
}

interface Option {
  changes: { action: 'create' | 'replace'; rule?: Rule; from: number; to: number }[];
  newRules: number;
  exposure: number;
}

/** State of one ACL direction while its fixes are planned: rule numbers taken and new rules per family. */
interface DirectionState {
  used: Set<number>;
  added: Map<4 | 6, number>;
}

/** A free rule number above `after` (after the last entry on a multiple of 10 when free), or null. */
function freeNumber(state: DirectionState, after: number): number | null {
  let max = 0;
  for (const n of state.used) if (n > max) max = n;
  const tidy = Math.ceil((Math.max(max, after) + 1) / 10) * 10;
  for (let n = tidy; n <= 32766; n++) if (!state.used.has(n)) return n;
  for (let n = after + 1; n <= 32766; n++) if (!state.used.has(n)) return n;
  return null;
}

function quotaOf(input: DiagnoseInput, rules: readonly Rule[], family: 4 | 6): { limit: number; count: number } {
  let count = 0;
  for (const r of rules) if (r.family === family && r.ruleNumber !== '*') count++;
  const limit = input.ruleQuota ?? (count > AWS_RULE_QUOTA ? AWS_RULE_QUOTA_MAX : AWS_RULE_QUOTA);
  return { limit, count };
}

/** The fix of one demand on the ACL as it stands (`acl`), with rule numbers from `state`. */
function planDemand(input: DiagnoseInput, acl: Acl, d: Demand, state: DirectionState): Fix {
  const rules = d.direction === 'inbound' ? acl.inbound : acl.outbound;
  const ct = input.connections;
  const words = ct.addresses.words;
  const covers = (c: Cidr) => {
    for (const a of d.hosts) if (!cidrContains(c, words, 4 * a)) return false;
    return true;
  };
  const missingRuns = runs(d.missing);
  const mlo = missingRuns[0]![0];
  const mhi = missingRuns[missingRuns.length - 1]![1];
  const sameProto = (r: Rule) => r.action === 'allow' && r.family === d.family && r.ruleNumber !== '*' && r.protocolMask === 0xff && r.protocol === d.proto && covers(sideCidr(r, d.direction));
  const { limit, count } = quotaOf(input, rules, d.family);
  const room = limit - count - (state.added.get(d.family) ?? 0);

  // One widened rule: an allow of this protocol whose range touches the missing ports, when the ports it adds
  // shadow no explicit deny numbered after it.
  const widen = (touching: boolean): Option[] =>
    rules.filter(sameProto).flatMap((r) => {
      if (touching && !(r.dstPorts[1] + 1 >= mlo && r.dstPorts[0] - 1 <= mhi)) return [];
      const from = Math.min(r.dstPorts[0], mlo);
      const to = Math.max(r.dstPorts[1], mhi);
      const added: [number, number][] = [];
      if (from < r.dstPorts[0]) added.push([from, r.dstPorts[0] - 1]);
      if (to > r.dstPorts[1]) added.push([r.dstPorts[1] + 1, to]);
      const shadowed = overlappingDenies(rules, d, sideCidr(r, d.direction), added).filter((x) => (x.ruleNumber as number) > (r.ruleNumber as number));
      if (shadowed.length) return [];
      let e = 0;
      for (const [a, b] of added) e += exposure(d, a, b);
      return [{ changes: [{ action: 'replace' as const, rule: r, from, to }], newRules: 0, exposure: e }];
    });
  // New entries: runs of missing ports, merged over gaps that need nothing opened (allowed already, or denied by
  // an explicit deny that stays in front of the new entry).
  const merged: [number, number][] = [];
  for (const run of missingRuns) {
    const last = merged[merged.length - 1];
    if (last && exposure(d, last[1] + 1, run[0] - 1) === 0) last[1] = run[1];
    else merged.push([run[0], run[1]]);
  }
  const wanted = merged.length;
  const mergedForQuota: string[] = [];
  while (merged.length > Math.max(1, room)) {
    let best = 1;
    let bestCost = Infinity;
    for (let k = 1; k < merged.length; k++) {
      const cost = exposure(d, merged[k - 1]![1] + 1, merged[k]![0] - 1);
      if (cost < bestCost) [best, bestCost] = [k, cost];
    }
    mergedForQuota.push(`${merged[best - 1]![0]}-${merged[best - 1]![1]} and ${merged[best]![0]}-${merged[best]![1]}`);
    merged[best - 1]![1] = merged[best]![1];
    merged.splice(best, 1);
  }
  let newExposure = 0;
  for (let k = 1; k < merged.length; k++) newExposure += exposure(d, merged[k - 1]![1] + 1, merged[k]![0] - 1);
  const create: Option = { changes: merged.map(([from, to]) => ({ action: 'create' as const, from, to })), newRules: merged.length, exposure: newExposure };
  const options = [...widen(true), ...(room >= create.newRules ? [create] : [])];
  if (options.length === 0) options.push(...widen(false));
  const id = `${acl.id}:${dirWord(d.direction)}:${protoWord(d.proto)}:ipv${d.family}`;
  const base: Fix = {
    id,
    acl: acl.id,
    direction: d.direction,
    protocol: protoWord(d.proto) as 'tcp' | 'udp',
    family: d.family,
    action: 'create',
    entry: null,
    command: null,
    changes: [],
    verified: false,
    note: '',
    clients: d.clients.size,
    required: rangesText(d.required),
    deniesInForce: [],
    opensUnneeded: 'none',
    quota: { limit, rules: count + (state.added.get(d.family) ?? 0), wanted: count + (state.added.get(d.family) ?? 0) + wanted },
  };
  const missingText = rangesText(missingRuns);
  if (options.length === 0) {
    base.note = `a complete fix needs ${wanted} new ${protoWord(d.proto)} entr${wanted === 1 ? 'y' : 'ies'} on ${dirWord(d.direction)} of ${acl.id}, but the IPv${d.family} rules there are at the quota (${count} of ${limit}) and no allow rule of ${protoWord(d.proto)} can be widened without shadowing an explicit deny: free a rule, then allow ${protoWord(d.proto)} ${missingText}`;
    return base;
  }
  const best = options.reduce((a, b) => (b.changes.length < a.changes.length || (b.changes.length === a.changes.length && (b.exposure < a.exposure || (b.exposure === a.exposure && b.newRules < a.newRules))) ? b : a));
  // The CIDR of new entries: that of an allow rule of this protocol holding every host, else any address.
  const existing = rules.find(sameProto);
  const cidr = existing ? sideCidr(existing, d.direction) : anyCidr(d.family);
  const cidrField = d.family === 4 ? { cidrBlock: formatCidr(cidr) } : { ipv6CidrBlock: formatCidr(cidr) };
  const clientWords = describeClients(input, d);
  const opened: [number, number][] = [];
  for (const c of best.changes) {
    const lowFrom = c.rule ? c.rule.dstPorts[0] : Infinity;
    const lowTo = c.rule ? c.rule.dstPorts[1] : -Infinity;
    for (let p = c.from; p <= c.to; p++) if (!(p >= lowFrom && p <= lowTo) && d.closed[p] === 1 && d.missing[p] === 0) addRange(opened, p, p);
  }
  const unneeded = opened.length ? `; also opens ${rangesText(opened)}, which no client's range holds` : '';
  for (const c of best.changes) {
    if (c.action === 'replace') {
      const r = c.rule!;
      const entry: AwsEntry = { ruleNumber: r.ruleNumber as number, protocol: String(d.proto), ruleAction: 'allow', egress: d.direction === 'outbound', ...(d.family === 4 ? { cidrBlock: formatCidr(sideCidr(r, d.direction)) } : { ipv6CidrBlock: formatCidr(sideCidr(r, d.direction)) }), portRange: { from: c.from, to: c.to } };
      base.changes.push({
        action: 'replace',
        entry,
        replaces: { ruleNumber: r.ruleNumber as number, portRange: { from: r.dstPorts[0], to: r.dstPorts[1] } },
        command: entryCommand(acl.id, { action: 'replace', entry }),
        reason: `widen rule ${r.ruleNumber} from ${r.dstPorts[0]}-${r.dstPorts[1]} to ${c.from}-${c.to}: ${clientWords}${unneeded}`,
      });
    } else {
      const deniesFirst = overlappingDenies(rules, d, cidr, [[c.from, c.to]]);
      const after = deniesFirst.reduce((m, r) => Math.max(m, r.ruleNumber as number), 0);
      const n = freeNumber(state, after);
      if (n === null) {
        base.note = `no free rule number after rule ${after} on ${dirWord(d.direction)} of ${acl.id}: renumber the ACL, then allow ${protoWord(d.proto)} ${c.from}-${c.to} ${d.direction === 'outbound' ? 'to' : 'from'} ${formatCidr(cidr)}`;
        base.changes = [];
        return base;
      }
      state.used.add(n);
      state.added.set(d.family, (state.added.get(d.family) ?? 0) + 1);
      const entry: AwsEntry = { ruleNumber: n, protocol: String(d.proto), ruleAction: 'allow', egress: d.direction === 'outbound', ...cidrField, portRange: { from: c.from, to: c.to } };
      const behind = deniesFirst.length ? ` (after explicit deny${deniesFirst.length === 1 ? '' : 's'} ${deniesFirst.map((r) => r.ruleNumber).join(', ')}, which stay${deniesFirst.length === 1 ? 's' : ''} in force)` : '';
      base.changes.push({ action: 'create', entry, command: entryCommand(acl.id, { action: 'create', entry }), reason: `add rule ${n} allowing ${protoWord(d.proto)} ${c.from}-${c.to}${behind}: ${clientWords}` });
    }
  }
  const first = base.changes[0]!;
  base.action = first.action;
  base.entry = first.entry;
  if (first.replaces) base.replaces = first.replaces;
  base.command = first.command;
  base.opensUnneeded = rangesText(opened);
  base.quota.rules = count + (state.added.get(d.family) ?? 0);
  base.quota.wanted = base.quota.rules + (best === create ? wanted - create.newRules : 0);
  const quotaWords = mergedForQuota.length
    ? `; a complete fix in separate entries would bring IPv${d.family} ${dirWord(d.direction)} to ${base.quota.wanted} rules, over the quota of ${limit}: merged ${mergedForQuota.join('; ')}`
    : best.changes.some((c) => c.action === 'replace') && wanted > 0 && create.newRules > room
      ? `; new entries would bring IPv${d.family} ${dirWord(d.direction)} over the quota of ${limit}, so an existing rule is widened`
      : '';
  base.note = base.changes.map((c) => c.reason.split(':')[0]).join('; ') + ` (${protoWord(d.proto)} returns of ${d.clients.size} client${d.clients.size === 1 ? '' : 's'}, ranges ${base.required})${quotaWords}`;
  return base;
}

/** "clients 10.0.1.13 (windows-legacy 1025-5000), 10.0.1.20 (nat 1024-65535, a guess from 1 port)". */
function describeClients(input: DiagnoseInput, d: Demand): string {
  const t = input.clients;
  const addrs = [...d.clients.keys()];
  const shown = addrs.slice(0, 6).map((a) => {
    const c = t.byAddress[a]!;
    const range = d.clients.get(a)!;
    const guess = c >= 0 && t.confidence[c]! < 0.5 ? `, a guess from ${t.ports[c]} port${t.ports[c] === 1 ? '' : 's'}` : '';
    return `${input.connections.addresses.text(a)} (${c >= 0 ? t.profileName(c) : 'unknown'} ${range[0]}-${range[1]}${guess})`;
  });
  return `the ${protoWord(d.proto)} returns to ${addrs.length === 1 ? 'client' : 'clients'} ${shown.join(', ')}${addrs.length > 6 ? ` and ${addrs.length - 6} more` : ''}`;
}

/** A copy of `acl` with the changes of `fixes` applied to it (replacements edit the port range of their rule). */
export function applyFixes(acl: Acl, fixes: readonly Fix[]): Acl {
  const out: Acl = { ...acl, inbound: [...acl.inbound], outbound: [...acl.outbound] };
  for (const f of fixes) {
    for (const c of f.changes) {
      const list = c.entry.egress ? out.outbound : out.inbound;
      if (c.action === 'replace') {
        const k = list.findIndex((r) => r.ruleNumber === c.entry.ruleNumber);
        if (k >= 0) list[k] = { ...list[k]!, dstPorts: [c.entry.portRange.from, c.entry.portRange.to] };
        continue;
      }
      const cidrText = c.entry.cidrBlock ?? c.entry.ipv6CidrBlock!;
      const family = c.entry.cidrBlock !== undefined ? 4 : 6;
      const any = anyCidr(family);
      const cidr = parseCidrOrAny(cidrText, family);
      const rule: Rule = {
        ruleNumber: c.entry.ruleNumber,
        action: 'allow',
        family,
        protocol: Number(c.entry.protocol),
        protocolMask: 0xff,
        src: c.entry.egress ? any : cidr,
        dst: c.entry.egress ? cidr : anyCidr(family),
        srcPorts: [0, 65535],
        dstPorts: [c.entry.portRange.from, c.entry.portRange.to],
        icmpType: -1,
        icmpCode: -1,
        tcpFlags: null,
        origin: { file: '(proposed fix)' },
      };
      const at = list.findIndex((r) => r.ruleNumber === '*' || (r.ruleNumber as number) > c.entry.ruleNumber);
      list.splice(at < 0 ? list.length : at, 0, rule);
    }
  }
  return out;
}

function parseCidrOrAny(text: string, family: 4 | 6): Cidr {
  const r = parseCidr(text);
  return r.ok ? r.cidr : anyCidr(family);
}

/** The plan and spec with fixed copies of the ACLs the fixes name (by plan index). */
function fixedScenario(plan: ReplayPlan, spec: ReplaySpec, byAcl: Map<number, Fix[]>): { plan: ReplayPlan; spec: ReplaySpec } {
  const acls = plan.acls.map((a, i) => (byAcl.has(i) ? applyFixes(a, byAcl.get(i)!) : a));
  return { plan: { ...plan, acls }, spec: { ...spec, acls: spec.acls.map((a, i) => (byAcl.has(i) ? specAcl(acls[i]!) : a)) } };
}

/**
 * Every fix of scenario s, by fix key (gateFixKey): planned, applied together to copies of the ACLs, probed again;
 * a fix is verified when nothing its gate, protocol and family must open stays denied by the default deny.
 */
export function planFixes(input: DiagnoseInput, s: number): Map<string, Fix> {
  const m = (input.fixes ??= new Map());
  const known = m.get(s);
  if (known) return known;
  const fixes = new Map<string, Fix>();
  const states = new Map<string, DirectionState>();
  let plan = input.plan;
  let spec = input.spec;
  let pm = portMaps(input);
  let cov = coverageOf(input, s);
  const byAcl = new Map<number, Fix[]>();
  const problems = new Map<string, string>();
  for (let round = 0; round < ROUNDS; round++) {
    const demands = demandsOf(plan, spec, cov, pm, s, new Set(fixes.keys()));
    if (demands.size === 0) break;
    for (const d of [...demands.values()].sort((a, b) => a.acl - b.acl || a.direction.localeCompare(b.direction) || a.family - b.family || a.proto - b.proto)) {
      const acl = plan.acls[d.acl]!;
      const skey = `${d.acl}:${d.direction}`;
      let state = states.get(skey);
      if (!state) {
        const used = new Set<number>();
        for (const r of d.direction === 'inbound' ? acl.inbound : acl.outbound) if (r.ruleNumber !== '*') used.add(r.ruleNumber);
        states.set(skey, (state = { used, added: new Map() }));
      }
      const fix = planDemand(input, acl, d, state);
      fixes.set(d.key, fix);
      if (fix.changes.length) {
        const list = byAcl.get(d.acl) ?? [];
        list.push(fix);
        byAcl.set(d.acl, list);
      }
    }
    // Probe again with every fix so far applied to the original ACLs: only the (client, protocol) groups that had
    // a denied port can have one now (fixes only add allows).
    const only = new Uint8Array(2 * input.clients.count);
    for (const cc of cov.clients) if (cc.gates.some((g) => g.missing.length > 0 || g.inForce.length > 0)) only[2 * cc.client + (cc.proto === 17 ? 1 : 0)] = 1;
    ({ plan, spec } = fixedScenario(input.plan, input.spec, byAcl));
    pm = new PortMaps(plan, spec, input.connections.addresses);
    cov = scenarioCoverage({ ...input, plan, spec, portMaps: pm }, s, only);
  }
  // What stays denied after all fixes: default-denied ports (the fix falls short) and explicit denies (in force).
  const inForce = new Map<string, Map<number, { ports: [number, number][]; clients: Set<number> }>>();
  for (const cc of cov.clients) {
    for (const gc of cc.gates) {
      const key = gateFixKey(spec, gc.gate, cc.family, cc.proto);
      if (gc.missing.length && !problems.has(key)) problems.set(key, `the replies to ${rangesText(gc.missing)} of ${input.connections.addresses.text(cc.address)}'s range ${cc.range[0]}-${cc.range[1]} stay denied by the default deny`);
      for (const f of gc.inForce) {
        const rule = ruleOf(plan, spec, f.code);
        if (!rule || rule.ruleNumber === '*') continue;
        let byRule = inForce.get(key);
        if (!byRule) inForce.set(key, (byRule = new Map()));
        let e = byRule.get(rule.ruleNumber);
        if (!e) byRule.set(rule.ruleNumber, (e = { ports: [], clients: new Set() }));
        for (const [a, b] of f.ranges) addRange(e.ports, a, b);
        e.clients.add(cc.address);
      }
    }
  }
  for (const [key, fix] of fixes) {
    const byRule = inForce.get(key);
    if (byRule) fix.deniesInForce = [...byRule].sort((a, b) => a[0] - b[0]).map(([rule, e]) => ({ rule, ports: rangesText(e.ports), clients: e.clients.size }));
    const problem = problems.get(key);
    fix.verified = fix.changes.length > 0 && problem === undefined;
    if (fix.changes.length && problem) fix.note += `; not enough: ${problem}`;
    if (fix.deniesInForce.length) fix.note += `; explicit deny${fix.deniesInForce.length === 1 ? '' : 's'} ${fix.deniesInForce.map((x) => `${x.rule} (${x.ports})`).join(', ')} stay${fix.deniesInForce.length === 1 ? 's' : ''} in force`;
  }
  // Gates with only explicit denies in the way: a fix with no change that says so.
  for (const [key, byRule] of inForce) {
    if (fixes.has(key)) continue;
    const [acl, direction, family, proto] = key.split(':');
    const a = input.plan.acls[Number(acl)]!;
    const deniesInForce = [...byRule].sort((x, y) => x[0] - y[0]).map(([rule, e]) => ({ rule, ports: rangesText(e.ports), clients: e.clients.size }));
    const rules = direction === 'inbound' ? a.inbound : a.outbound;
    const { limit, count } = quotaOf(input, rules, Number(family) as 4 | 6);
    fixes.set(key, {
      id: `${a.id}:${dirWord(direction as 'inbound')}:${protoWord(Number(proto))}:ipv${family}`,
      acl: a.id,
      direction: direction as 'inbound' | 'outbound',
      protocol: protoWord(Number(proto)) as 'tcp' | 'udp',
      family: Number(family) as 4 | 6,
      action: 'create',
      entry: null,
      command: null,
      changes: [],
      verified: false,
      note: `nothing to open: explicit deny${deniesInForce.length === 1 ? '' : 's'} ${deniesInForce.map((x) => `${x.rule} (${x.ports})`).join(', ')} refuse${deniesInForce.length === 1 ? 's' : ''} these replies and an explicit deny is never overridden; change ${deniesInForce.length === 1 ? 'it' : 'them'} if that is not deliberate`,
      clients: new Set(deniesInForce.length ? [...byRule.values()].flatMap((e) => [...e.clients]) : []).size,
      required: 'none',
      deniesInForce,
      opensUnneeded: 'none',
      quota: { limit, rules: count, wanted: count },
    });
  }
  m.set(s, fixes);
  return fixes;
}
