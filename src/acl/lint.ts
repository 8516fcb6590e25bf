/**
 * Static findings on an ACL. Shadowing, redundancy and contradiction are computed exactly: every field's values are
 * split into equivalence classes (values that the same rules match), and the classes are combined dimension by
 * dimension, keeping only feasible combinations (a portless protocol has no ports, only ICMP has a type, only TCP has
 * flags). Each distinct set of matching rules that a real packet can produce is visited once.
 */
import { AWS_DEFAULT_RULES, AWS_MAX_RULES } from './formats/entries.js';
import { analyseOverlaps, DEFAULT_TOTAL_BUDGET } from './overlap.js';
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

/** Work limits of the exact overlap analysis (src/acl/overlap.ts). */
export interface RuleFindingOptions {
  /** Work units of the overlap analysis for the whole ACL, all directions and families (default DEFAULT_TOTAL_BUDGET). */
  budget?: number;
  /** Work units one rule's overlap analysis may take (default DEFAULT_RULE_BUDGET). */
  ruleBudget?: number;
}

/**
 * Findings on the rules themselves: import warnings, AWS rule limits, ICMPv4 on IPv6 rules, and the exact
 * shadowing, redundancy and contradiction analysis, within the work limits of `opts`.
 */
export function ruleFindings(acl: Acl, opts: RuleFindingOptions = {}): Finding[] {
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
  return findings;
}

/** AWS says ingress and egress. */
export function awsName(d: Direction): string {
  return d === 'inbound' ? 'ingress' : 'egress';
}

// ---- findings from the exact overlap analysis ------------------------------------------------------------------

function overlapFindings(list: Rule[], idx: number[], direction: Direction, family: 4 | 6, aws: boolean, opts: RuleFindingOptions, budget: { left: number }): Finding[] {
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
