/**
 * Static findings on an ACL. Shadowing, redundancy and contradiction are computed exactly: every field's values are
 * split into equivalence classes (values that the same rules match), and the classes are combined dimension by
 * dimension, keeping only feasible combinations (a portless protocol has no ports, only ICMP has a type, only TCP has
 * flags). Each distinct set of matching rules that a real packet can produce is visited once.
 */
import { ruleMatches } from './linear.js';
import { AWS_DEFAULT_RULES, AWS_MAX_RULES } from './formats/entries.js';
import { packetColumns } from './trace.js';
import { analyseOverlaps, DEFAULT_TOTAL_BUDGET } from './overlap.js';
import { formatCidr, isAnyPorts, ruleLabel, type Acl, type Direction, type Rule } from './model.js';
import { formatRanges, PORT_PROFILES, portRanges, profileCoverage, type ProfileCoverage } from '../profiles.js';

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

export interface LintReport {
  id: string;
  name: string | null;
  file: string;
  format: Acl['format'];
  rules: { inbound: number; outbound: number };
  findings: Finding[];
  coverage: CoverageReport[];
}

export interface LintOptions {
  /** Work units of the overlap analysis for the whole ACL, all directions and families (default DEFAULT_TOTAL_BUDGET in overlap.ts). */
  budget?: number;
  /** Work units one rule's overlap analysis may take (default DEFAULT_RULE_BUDGET). */
  ruleBudget?: number;
}

/** Lint one ACL. */
export function lintAcl(acl: Acl, opts: LintOptions = {}): LintReport {
  const findings: Finding[] = [];
  const aws = acl.format !== 'classbench';
  // One budget for the ACL: what one direction and family leaves over goes to the next.
  const budget = { left: opts.budget ?? DEFAULT_TOTAL_BUDGET };
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
      for (const f of overlapFindings(list, idx, direction, family, aws, opts, budget)) findings.push(f);
    }
  }
  const coverage = aws ? ephemeralCoverage(acl) : [];
  for (const c of coverage) {
    const shares = c.profiles.map((p) => p.share);
    const partial = shares.some((s) => s > 0 && s < 1);
    const mixed = shares.some((s) => s === 1) && shares.some((s) => s < 1);
    const none = shares.every((s) => s === 0);
    if (c.protocol === 'tcp' ? !shares.every((s) => s === 1) : partial) {
      findings.push({
        code: 'EPHEMERAL_COVERAGE',
        severity: c.protocol === 'tcp' && (partial || mixed) ? 'warning' : 'info',
        direction: c.direction,
        family: c.family,
        rule: null,
        message: coverageSentence(c) + (none ? ' (no return traffic can pass this way)' : ''),
      });
    }
  }
  // Findings in rule order: inbound, then outbound; ACL-wide ones first, direction-wide ones after the rules.
  const position = new Map<string, number>();
  for (const direction of ['inbound', 'outbound'] as const) {
    acl[direction].forEach((r, i) => {
      const key = `${direction}/${r.ruleNumber}/${r.family}`;
      if (!position.has(key)) position.set(key, i);
    });
  }
  const order = (f: Finding): number => {
    if (f.direction === null) return -1;
    const list = acl[f.direction];
    let at = list.length;
    if (f.rule !== null) {
      at = -1;
      for (const family of f.family === null ? [4, 6] : [f.family]) {
        const i = position.get(`${f.direction}/${f.rule}/${family}`);
        if (i !== undefined && (at < 0 || i < at)) at = i;
      }
    }
    return (f.direction === 'inbound' ? 0 : 1 << 20) + at;
  };
  const icmpFlagged = new Set(findings.filter((f) => f.code === 'ICMPV4_ON_IPV6').map((f) => `${f.direction}/${f.rule}`));
  const kept = findings.filter((f) => !(f.code === 'UNMATCHABLE_RULE' && icmpFlagged.has(`${f.direction}/${f.rule}`)));
  kept.sort((a, b) => order(a) - order(b));
  return {
    id: acl.id,
    name: acl.name,
    file: acl.file,
    format: acl.format,
    rules: { inbound: acl.inbound.filter((r) => r.ruleNumber !== '*').length, outbound: acl.outbound.filter((r) => r.ruleNumber !== '*').length },
    findings: kept,
    coverage,
  };
}

function awsName(d: Direction): string {
  return d === 'inbound' ? 'ingress' : 'egress';
}

/** "egress allows IPv4 TCP return ports 32768-61000: linux 100%, windows 73% (61001-65535 not allowed), ..." */
export function coverageSentence(c: CoverageReport): string {
  const profiles = c.profiles
    .map((p) => {
      const pct = percent(p.share);
      return p.share > 0 && p.share < 1 ? `${p.name} ${pct} (${formatRanges(p.missing, 3)} not allowed)` : `${p.name} ${pct}`;
    })
    .join(', ');
  return `${awsName(c.direction)} allows IPv${c.family} ${c.protocol.toUpperCase()} return ports ${formatRanges(c.allowed.filter(([, b]) => b >= 1024), 4)}: ${profiles}`;
}

/** A share as a whole percent, never rounding a partial share to 0% or 100%. */
export function percent(share: number): string {
  if (share > 0 && share < 0.01) return '<1%';
  if (share < 1 && share > 0.99) return '>99%';
  return `${Math.round(share * 100)}%`;
}

const FAR: Record<4 | 6, string> = { 4: '198.51.100.7', 6: '2001:db8::7' };

/**
 * One probe per destination port (TCP with ACK, UDP) from/to a far address (RFC 5737 / RFC 3849 documentation
 * space). Only the destination port varies, so a rule matches either no probe or exactly those whose port is in its
 * range: the first match of every port comes from painting the ranges in rule order, without compiling the ACL.
 */
function ephemeralCoverage(acl: Acl): CoverageReport[] {
  const out: CoverageReport[] = [];
  const probe = packetColumns(1);
  const first = new Int32Array(65536);
  /** Next port at or after p that no earlier rule has painted (path-halving union-find). */
  const nextFree = new Int32Array(65537);
  const free = (p: number): number => {
    while (nextFree[p] !== p) {
      nextFree[p] = nextFree[nextFree[p]!]!;
      p = nextFree[p]!;
    }
    return p;
  };
  for (const direction of ['inbound', 'outbound'] as const) {
    const list = acl[direction];
    for (const family of [4, 6] as const) {
      if (!list.some((r) => r.family === family && r.ruleNumber !== '*')) continue;
      const local = localAddress(acl, family);
      const far = family === 4 ? [0xc6336407, 0, 0, 0] : [0x20010db8, 0, 0, 7];
      for (const protocol of ['tcp', 'udp'] as const) {
        probe.family[0] = family;
        probe.proto[0] = protocol === 'tcp' ? 6 : 17;
        probe.tcpFlags[0] = protocol === 'tcp' ? 0x10 : 0;
        probe.sport[0] = 443;
        const [s, d] = direction === 'inbound' ? [far, local.words] : [local.words, far];
        for (let w = 0; w < 4; w++) {
          probe.src[w] = s[w]!;
          probe.dst[w] = d[w]!;
        }
        first.fill(-1);
        for (let p = 0; p <= 65536; p++) nextFree[p] = p;
        for (let k = 0; k < list.length && free(0) < 65536; k++) {
          const r = list[k]!;
          probe.dport[0] = r.dstPorts[0];
          if (!ruleMatches(r, probe, 0)) continue;
          for (let p = free(r.dstPorts[0]); p <= r.dstPorts[1]; p = free(p)) {
            first[p] = k;
            nextFree[p] = p + 1;
          }
        }
        const allowed = new Uint8Array(65536);
        for (let i = 0; i < 65536; i++) allowed[i] = first[i]! >= 0 && list[first[i]!]!.action === 'allow' ? 1 : 0;
        out.push({
          direction,
          family,
          protocol,
          probe: direction === 'inbound' ? { src: FAR[family], dst: local.text, sport: 443 } : { src: local.text, dst: FAR[family], sport: 443 },
          allowed: portRanges(allowed, 0, 65535, 1),
          profiles: PORT_PROFILES.map((pr) => profileCoverage(pr, allowed)),
        });
      }
    }
  }
  return out;
}

/** An address inside the ACL's subnet (first association of the family, else a private address). */
function localAddress(acl: Acl, family: 4 | 6): { words: number[]; text: string } {
  for (const a of acl.associations) {
    if (!a.cidr) continue;
    const isV6 = a.cidr.includes(':');
    if ((family === 6) !== isV6) continue;
    const [addr, len] = a.cidr.split('/');
    if (family === 4) {
      const parts = addr!.split('.').map(Number);
      const base = ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
      const host = Number(len) <= 28 ? 10 : 0;
      const w = (base + host) >>> 0;
      return { words: [w, 0, 0, 0], text: `${w >>> 24}.${(w >>> 16) & 255}.${(w >>> 8) & 255}.${w & 255}` };
    }
  }
  return family === 4 ? { words: [0x0a00000a, 0, 0, 0], text: '10.0.0.10' } : { words: [0xfd000000, 0, 0, 0x10], text: 'fd00::10' };
}

// ---- findings from the exact overlap analysis ------------------------------------------------------------------

function overlapFindings(list: Rule[], idx: number[], direction: Direction, family: 4 | 6, aws: boolean, opts: LintOptions, budget: { left: number }): Finding[] {
  const rules = idx.map((i) => list[i]!);
  const n = rules.length;
  const exhausted = budget.left <= 0;
  const analysis = analyseOverlaps(rules, family, { next: aws, totalBudget: Math.max(0, budget.left), ...(opts.ruleBudget !== undefined ? { ruleBudget: opts.ruleBudget } : {}) });
  budget.left -= analysis.work;
  const findings: Finding[] = [];
  const label = (k: number) => rules[k]!.ruleNumber;
  const labels = (ks: Iterable<number>) => [...ks].sort((a, b) => a - b).map(label);
  const show = (ks: Iterable<number>) =>
    [...ks]
      .sort((a, b) => a - b)
      .map((k) => `${label(k)} (${rules[k]!.action})`)
      .join(', ');
  const undecided: number[] = [];
  for (let k = 0; k < n; k++) {
    const r = rules[k]!;
    if (r.ruleNumber === '*') continue;
    const o = analysis.rules[k];
    if (!o) {
      undecided.push(k);
      continue;
    }
    const name = `${awsName(direction)} rule ${ruleLabel(r)}`;
    if (!o.matchable) {
      findings.push({ code: 'UNMATCHABLE_RULE', severity: 'warning', direction, family, rule: r.ruleNumber, message: `${name} (${summary(r)}) can match no packet` });
      continue;
    }
    if (!o.firstSomewhere) {
      const w = o.winners;
      const defeated = w.some((j) => rules[j]!.action !== r.action);
      findings.push({
        code: 'SHADOWED_RULE',
        severity: defeated ? 'error' : 'warning',
        direction,
        family,
        rule: r.ruleNumber,
        related: labels(w),
        message: `${name} (${r.action} ${summary(r)}) never matches: earlier rule${w.length > 1 ? 's' : ''} ${show(w)} take${w.length > 1 ? '' : 's'} all of its traffic${defeated ? `, so its ${r.action} never applies` : ''}`,
      });
      continue;
    }
    if (!aws) continue; // ClassBench rules have no actions: only shadowing means something
    if (o.nextSameAction) {
      findings.push({
        code: 'REDUNDANT_RULE',
        severity: 'info',
        direction,
        family,
        rule: r.ruleNumber,
        related: labels(o.next),
        message: `${name} (${r.action} ${summary(r)}) is redundant: without it, rule${o.next.length > 1 ? 's' : ''} ${show(o.next)} would ${r.action} the same traffic`,
      });
    }
    const contra = o.winners.filter((j) => rules[j]!.action !== r.action);
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
  if (undecided.length > 0) {
    const explicit = rules.filter((r) => r.ruleNumber !== '*').length;
    const over = analysis.overBudget.filter((k) => rules[k]!.ruleNumber !== '*');
    const notReached = analysis.stoppedAt === null ? [] : undecided.filter((k) => k >= analysis.stoppedAt!);
    const parts: string[] = [];
    if (over.length > 0) parts.push(`${over.length} rule${over.length === 1 ? '' : 's'} needed more than the per-rule work limit (${listRules(over.map(label))})`);
    if (notReached.length > 0) {
      const where = exhausted ? 'before this list' : `at rule ${label(notReached[0]!)}`;
      parts.push(`the work limit for the ACL ran out ${where}, so ${notReached.length} rule${notReached.length === 1 ? ' was' : 's were'} not analysed (${listRules(notReached.map(label))})`);
    }
    findings.push({
      code: 'ANALYSIS_INCOMPLETE',
      severity: 'info',
      direction,
      family,
      rule: null,
      related: undecided.slice(0, 20).map(label),
      message: `${awsName(direction)} IPv${family}: shadowed/redundant/contradicted rules decided for ${explicit - undecided.length} of ${explicit} rules; ${parts.join('; ')}; findings for the others are not reported`,
    });
  }
  return findings;
}

/** "17, 230, 231 and 97 more" */
function listRules(labels: (number | '*')[]): string {
  const shown = labels.slice(0, 5).join(', ');
  return labels.length > 5 ? `${shown} and ${labels.length - 5} more` : shown;
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
