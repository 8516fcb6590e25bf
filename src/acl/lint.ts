/**
 * Static findings on an ACL. Shadowing, redundancy and contradiction are computed exactly: every field's values are
 * split into equivalence classes (values that the same rules match), and the classes are combined dimension by
 * dimension, keeping only feasible combinations (a portless protocol has no ports, only ICMP has a type, only TCP has
 * flags). Each distinct set of matching rules that a real packet can produce is visited once.
 */
import { hasPorts } from '../decode/batch.js';
import { AWS_DEFAULT_RULES, AWS_MAX_RULES } from './formats/entries.js';
import { formatCidr, isAnyPorts, ruleLabel, type Acl, type Direction, type Rule } from './model.js';
import type { ProfileCoverage } from '../profiles.js';

export type Severity = 'error' | 'warning' | 'info';

/** Stable finding codes (part of the CLI contract; `--fail-on` takes them). */
export const FindingCode = {
  SHADOWED_RULE: 'SHADOWED_RULE',
  UNMATCHABLE_RULE: 'UNMATCHABLE_RULE',
  REDUNDANT_RULE: 'REDUNDANT_RULE',
  CONTRADICTED_RULE: 'CONTRADICTED_RULE',
  AWS_RULE_LIMIT: 'AWS_RULE_LIMIT',
  EPHEMERAL_COVERAGE: 'EPHEMERAL_COVERAGE',
  ICMPV4_ON_IPV6: 'ICMPV4_ON_IPV6',
  IMPORT_WARNING: 'IMPORT_WARNING',
  ANALYSIS_INCOMPLETE: 'ANALYSIS_INCOMPLETE',
} as const;
export type FindingCodeName = keyof typeof FindingCode;

/** One finding; `rule` is the rule number ('*' for the implicit deny) or null for ACL-wide findings. */
export interface Finding {
  code: FindingCodeName;
  severity: Severity;
  direction: Direction | null;
  family: 4 | 6 | null;
  rule: number | '*' | null;
  message: string;
  /** Rules involved besides `rule` (e.g. the earlier rules that shadow it). */
  related?: (number | '*')[];
}

/** Return-traffic coverage of one direction, family and protocol. */
export interface CoverageReport {
  direction: Direction;
  family: 4 | 6;
  protocol: 'tcp' | 'udp';
  /** The probe packet: remote address, local address, service (source) port; the destination port varies. */
  probe: { src: string; dst: string; sport: number };
  allowed: [number, number][];
  profiles: ProfileCoverage[];
}

/**
 * Findings on the rules themselves: import warnings, AWS rule limits, ICMPv4 on IPv6 rules, and the exact
 * shadowing, redundancy and contradiction analysis (`budget`: class combinations visited at most per direction and
 * family, default 2,000,000).
 */
export function ruleFindings(acl: Acl, budget = 2_000_000): Finding[] {
  const findings: Finding[] = [];
  const aws = acl.format !== 'classbench';
  for (const w of acl.warnings) {
    if (/above the AWS (default quota|maximum)/.test(w)) continue;
    findings.push({ code: 'IMPORT_WARNING', severity: 'warning', direction: null, family: null, rule: null, message: w });
  }
  for (const direction of ['inbound', 'outbound'] as const) {
    const list = acl[direction];
    for (const family of [4, 6] as const) {
      const idx: number[] = [];
      list.forEach((r, i) => r.family === family && idx.push(i));
      if (idx.length === 0) continue;
      const explicit = idx.filter((i) => list[i]!.ruleNumber !== '*').length;
      if (aws && explicit > AWS_DEFAULT_RULES) {
        const over = explicit > AWS_MAX_RULES;
        findings.push({
          code: 'AWS_RULE_LIMIT',
          severity: over ? 'error' : 'warning',
          direction,
          family,
          rule: null,
          message: `${awsName(direction)} has ${explicit} IPv${family} rules: ${over ? `above the AWS maximum of ${AWS_MAX_RULES}` : `above the AWS default quota of ${AWS_DEFAULT_RULES} (raisable to ${AWS_MAX_RULES})`}`,
        });
      }
      for (const i of idx) {
        const r = list[i]!;
        if (r.family === 6 && r.protocolMask !== 0 && r.protocol === 1) {
          findings.push({
            code: 'ICMPV4_ON_IPV6',
            severity: 'warning',
            direction,
            family,
            rule: r.ruleNumber,
            message: `${awsName(direction)} rule ${ruleLabel(r)} is protocol 1 (ICMP for IPv4) on an IPv6 CIDR: IPv6 carries ICMPv6 as protocol 58, so it matches nothing; use protocol 58`,
          });
        }
      }
      // ClassBench rules have no actions (all import as allow), so only shadowing is meaningful there.
      const overlap = overlapFindings(list, idx, direction, family, budget);
      for (const f of overlap) if (aws || (f.code !== 'REDUNDANT_RULE' && f.code !== 'CONTRADICTED_RULE')) findings.push(f);
    }
  }
  return findings;
}

/** AWS says ingress and egress. */
export function awsName(d: Direction): string {
  return d === 'inbound' ? 'ingress' : 'egress';
}

// ---- exact overlap analysis -------------------------------------------------------------------------------------

type Bits = bigint;

function bit(k: number): Bits {
  return 1n << BigInt(k);
}

function lowest(x: Bits): number {
  let k = 0;
  while ((x & 0xffffffffn) === 0n) {
    x >>= 32n;
    k += 32;
  }
  let w = Number(x & 0xffffffffn);
  while ((w & 1) === 0) {
    w >>>= 1;
    k++;
  }
  return k;
}

/** Classes of a 1-D range dimension over [0, size): distinct bitmaps of rules whose range covers each elementary interval. */
function rangeClasses(ranges: [bigint, bigint][], size: bigint): Bits[] {
  const points = new Set<bigint>([0n]);
  for (const [lo, hi] of ranges) {
    points.add(lo);
    if (hi + 1n < size) points.add(hi + 1n);
  }
  const sorted = [...points].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const seen = new Set<Bits>();
  for (const start of sorted) {
    let bm = 0n;
    ranges.forEach(([lo, hi], k) => {
      if (lo <= start && start <= hi) bm |= bit(k);
    });
    seen.add(bm);
  }
  return [...seen];
}

function cidrRange(c: Rule['src']): [bigint, bigint] {
  const bits = c.family === 4 ? 32n : 128n;
  let lo = 0n;
  for (let w = 0; w < (c.family === 4 ? 1 : 4); w++) lo = (lo << 32n) | BigInt(c.words[w]! >>> 0);
  return [lo, lo + (1n << (bits - BigInt(c.prefix))) - 1n];
}

function overlapFindings(list: Rule[], idx: number[], direction: Direction, family: 4 | 6, budget: number): Finding[] {
  const rules = idx.map((i) => list[i]!);
  const n = rules.length;
  const all = (1n << BigInt(n)) - 1n;
  const srcClasses = rangeClasses(rules.map((r) => cidrRange(r.src)), family === 4 ? 1n << 32n : 1n << 128n);
  const dstClasses = rangeClasses(rules.map((r) => cidrRange(r.dst)), family === 4 ? 1n << 32n : 1n << 128n);
  const sportReal = rangeClasses(rules.map((r) => [BigInt(r.srcPorts[0]), BigInt(r.srcPorts[1])]), 65536n);
  const dportReal = rangeClasses(rules.map((r) => [BigInt(r.dstPorts[0]), BigInt(r.dstPorts[1])]), 65536n);
  let portless = 0n;
  let notIcmp = 0n;
  let notTcp = 0n;
  rules.forEach((r, k) => {
    if (isAnyPorts(r.srcPorts) && isAnyPorts(r.dstPorts)) portless |= bit(k);
    if (r.icmpType === -1) notIcmp |= bit(k);
    if (!r.tcpFlags || r.tcpFlags.mask === 0) notTcp |= bit(k);
  });
  const icmpReal = rangeClasses(
    rules.map((r): [bigint, bigint] => {
      if (r.icmpType === -1) return [0n, 65535n];
      if (r.icmpCode === -1) return [BigInt(r.icmpType << 8), BigInt((r.icmpType << 8) | 255)];
      const v = BigInt((r.icmpType << 8) | r.icmpCode);
      return [v, v];
    }),
    65536n,
  );
  const flagReal = flagClasses(rules);
  // Protocol classes, split by what the protocol implies for the other fields.
  const protoGroups = new Map<string, { matches: Bits; ported: boolean; icmp: boolean; tcp: boolean }>();
  for (let p = 0; p < 256; p++) {
    let m = 0n;
    rules.forEach((r, k) => {
      if ((p & r.protocolMask) === (r.protocol & r.protocolMask)) m |= bit(k);
    });
    const ported = hasPorts(p);
    const icmp = (family === 4 && p === 1) || (family === 6 && p === 58);
    const tcp = p === 6;
    protoGroups.set(`${m}/${ported}/${icmp}/${tcp}`, { matches: m, ported, icmp, tcp });
  }
  const leaves = new Set<Bits>();
  let visits = 0;
  let incomplete = false;
  for (const g of protoGroups.values()) {
    const dims: Bits[][] = [
      srcClasses,
      dstClasses,
      g.ported ? sportReal : [portless],
      g.ported ? dportReal : [portless],
      g.icmp ? icmpReal : [notIcmp],
      g.tcp ? flagReal : [notTcp],
    ];
    const memo = new Set<string>();
    const walk = (d: number, acc: Bits): void => {
      if (incomplete) return;
      if (d === dims.length) {
        leaves.add(acc);
        return;
      }
      const key = `${d}:${acc}`;
      if (memo.has(key)) return;
      memo.add(key);
      const next = new Set<Bits>();
      for (const c of dims[d]!) {
        const x = acc & c;
        if (x !== 0n) next.add(x);
      }
      for (const x of next) {
        if (++visits > budget) {
          incomplete = true;
          return;
        }
        walk(d + 1, x);
      }
    };
    if ((g.matches & all) !== 0n) walk(0, g.matches & all);
  }
  const findings: Finding[] = [];
  if (incomplete) {
    findings.push({
      code: 'ANALYSIS_INCOMPLETE',
      severity: 'info',
      direction,
      family,
      rule: null,
      message: `${awsName(direction)} IPv${family}: ${n} rules have more than ${budget} field combinations; shadowed/redundant rule analysis skipped`,
    });
    return findings;
  }
  const firstIn: boolean[] = new Array<boolean>(n).fill(false);
  const present: boolean[] = new Array<boolean>(n).fill(false);
  const winners: Set<number>[] = rules.map(() => new Set());
  const redundantOk: boolean[] = new Array<boolean>(n).fill(true);
  const nextActions: Set<number>[] = rules.map(() => new Set());
  for (const m of leaves) {
    const first = lowest(m);
    firstIn[first] = true;
    const rest = m & ~bit(first);
    if (rest === 0n) redundantOk[first] = false;
    else {
      const second = lowest(rest);
      nextActions[first]!.add(second);
      if (rules[second]!.action !== rules[first]!.action) redundantOk[first] = false;
    }
    let x = rest;
    while (x !== 0n) {
      const j = lowest(x);
      present[j] = true;
      winners[j]!.add(first);
      x &= ~bit(j);
    }
    present[first] = true;
  }
  const label = (k: number) => rules[k]!.ruleNumber;
  const labels = (ks: Iterable<number>) => [...ks].sort((a, b) => a - b).map(label);
  const show = (ks: Iterable<number>) =>
    [...ks]
      .sort((a, b) => a - b)
      .map((k) => `${label(k)} (${rules[k]!.action})`)
      .join(', ');
  for (let k = 0; k < n; k++) {
    const r = rules[k]!;
    if (r.ruleNumber === '*') continue;
    const name = `${awsName(direction)} rule ${ruleLabel(r)}`;
    if (!present[k]) {
      findings.push({ code: 'UNMATCHABLE_RULE', severity: 'warning', direction, family, rule: r.ruleNumber, message: `${name} (${summary(r)}) can match no packet` });
      continue;
    }
    if (!firstIn[k]) {
      const w = winners[k]!;
      const defeated = [...w].some((j) => rules[j]!.action !== r.action);
      findings.push({
        code: 'SHADOWED_RULE',
        severity: defeated ? 'error' : 'warning',
        direction,
        family,
        rule: r.ruleNumber,
        related: labels(w),
        message: `${name} (${r.action} ${summary(r)}) never matches: earlier rule${w.size > 1 ? 's' : ''} ${show(w)} take${w.size > 1 ? '' : 's'} all of its traffic${defeated ? `, so its ${r.action} never applies` : ''}`,
      });
      continue;
    }
    if (redundantOk[k]) {
      findings.push({
        code: 'REDUNDANT_RULE',
        severity: 'info',
        direction,
        family,
        rule: r.ruleNumber,
        related: labels(nextActions[k]!),
        message: `${name} (${r.action} ${summary(r)}) is redundant: without it, rule${nextActions[k]!.size > 1 ? 's' : ''} ${show(nextActions[k]!)} would ${r.action} the same traffic`,
      });
    }
    const contra = [...winners[k]!].filter((j) => rules[j]!.action !== r.action);
    if (contra.length > 0) {
      findings.push({
        code: 'CONTRADICTED_RULE',
        severity: 'info',
        direction,
        family,
        rule: r.ruleNumber,
        related: labels(contra),
        message: `${name} (${r.action} ${summary(r)}) is overridden for part of its traffic by earlier rule${contra.length > 1 ? 's' : ''} ${show(contra)}`,
      });
    }
  }
  return findings;
}

/** TCP-flag classes: flag values 0..65535 grouped by which (value, mask) groups they satisfy. */
function flagClasses(rules: Rule[]): Bits[] {
  const groups = new Map<string, { value: number; mask: number; bm: Bits }>();
  let wild = 0n;
  rules.forEach((r, k) => {
    const f = r.tcpFlags;
    if (!f || f.mask === 0) {
      wild |= bit(k);
      return;
    }
    const key = `${f.value & f.mask}/${f.mask}`;
    const g = groups.get(key) ?? { value: f.value & f.mask & 0xffff, mask: f.mask & 0xffff, bm: 0n };
    g.bm |= bit(k);
    groups.set(key, g);
  });
  const list = [...groups.values()];
  if (list.length === 0) return [wild];
  const out = new Set<Bits>();
  for (let v = 0; v < 65536; v++) {
    let bm = wild;
    for (const g of list) if ((v & g.mask) === g.value) bm |= g.bm;
    out.add(bm);
  }
  return [...out];
}

function summary(r: Rule): string {
  const parts: string[] = [];
  parts.push(r.protocolMask === 0 ? 'all' : r.protocol === 6 ? 'tcp' : r.protocol === 17 ? 'udp' : r.protocol === 1 ? 'icmp' : r.protocol === 58 ? 'icmpv6' : `proto ${r.protocol}`);
  if (!isAnyPorts(r.dstPorts)) parts.push(r.dstPorts[0] === r.dstPorts[1] ? `port ${r.dstPorts[0]}` : `ports ${r.dstPorts[0]}-${r.dstPorts[1]}`);
  if (!isAnyPorts(r.srcPorts)) parts.push(`source ports ${r.srcPorts[0]}-${r.srcPorts[1]}`);
  if (r.icmpType !== -1) parts.push(`type ${r.icmpType}${r.icmpCode !== -1 ? ` code ${r.icmpCode}` : ''}`);
  if (r.src.prefix !== 0) parts.push(`from ${formatCidr(r.src)}`);
  if (r.dst.prefix !== 0) parts.push(`to ${formatCidr(r.dst)}`);
  if (parts.length === 1 && parts[0] === 'all') return 'all traffic';
  return parts.join(' ');
}
