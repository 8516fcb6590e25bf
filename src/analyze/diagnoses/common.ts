/** What every diagnosis reads (the replay's tables) and writes (a Diagnosis), and the helpers they share. */
import type { Rule } from '../../acl/model.js';
import type { NetworkAclEntry } from '../../acl/emit/entries.js';
import { portRanges } from '../../profiles.js';
import type { ConnectionTable } from '../../flow/connections.js';
import type { ClientTable } from '../../flow/clients.js';
import type { ReplayPlan } from '../../verdict/plan.js';
import type { ReplaySpec } from '../../verdict/spec.js';
import type { VerdictTable } from '../../verdict/outcomes.js';
import { PortMaps } from '../../verdict/probe.js';
import type { DiagnosisCode } from './codes.js';
import { scenarioCoverage, type ScenarioCoverage } from '../coverage.js';

/** An entry as `aws ec2 create-network-acl-entry` takes it: a fix's entries are TCP or UDP, so they have ports. */
export type AwsEntry = Omit<NetworkAclEntry, 'portRange' | 'icmpTypeCode'> & { portRange: { from: number; to: number } };

/** One aws ec2 change of a fix. */
export interface FixChange {
  action: 'create' | 'replace';
  entry: AwsEntry;
  /** For a replacement: the entry's port range as it is now. */
  replaces?: { ruleNumber: number; portRange: { from: number; to: number } };
  command: string;
  /** Why this change: which clients' ranges it opens and what else it opens. */
  reason: string;
}

/**
 * The fix for one gate (ACL and direction), protocol and address family: the smallest set of entry changes that lets
 * the reply to every port of the inferred range of every client seen using that protocol through that gate get
 * through, except the ports explicit denies refuse (those stay in force and are listed).
 */
export interface Fix {
  /** "<acl>:<egress|ingress>:<tcp|udp>:ipv<4|6>"; diagnoses that share the fix name it in `fixId`. */
  id: string;
  acl: string;
  direction: 'inbound' | 'outbound';
  protocol: 'tcp' | 'udp';
  family: 4 | 6;
  /** The first of `changes` (null when there is none), for readers of one-change fixes. */
  action: 'create' | 'replace';
  entry: AwsEntry | null;
  replaces?: { ruleNumber: number; portRange: { from: number; to: number } };
  command: string | null;
  /** Every change, in the order to apply them. */
  changes: FixChange[];
  /**
   * True when, with every fix of the scenario applied, the reply to every port of every such client's range is
   * allowed or refused by an explicit deny listed in deniesInForce (probed for every distinct way the rules see the
   * server/client pairs). False when the fix has no change.
   */
  verified: boolean;
  note: string;
  /** Clients whose range needed ports opened, and the union of the ranges the fix covers. */
  clients: number;
  required: string;
  /** Explicit denies the fix leaves in force inside those ranges: rule number, ports, clients affected. */
  deniesInForce: { rule: number; ports: string; clients: number }[];
  /** Ports the change opens that no client's range holds ('none'). */
  opensUnneeded: string;
  /** AWS rules per direction and family: the quota, the count after the fix, and the count without merging. */
  quota: { limit: number; rules: number; wanted: number };
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
  /** Share of the client's next connections (of this protocol) the ACL would deny under its port model, 0..1. */
  failureProbability: number;
  /** 'uniform' over the range, or 'parity': Linux connect()'s first pass over ports of the low end's parity. */
  portModel: 'uniform' | 'parity';
  /** 'bursty': consecutive connections to one destination use nearby ports, so failures come in runs. */
  failurePattern: 'bursty' | 'independent';
}

export interface Diagnosis {
  code: DiagnosisCode;
  severity: 'error' | 'warning' | 'info';
  scenario: string;
  acl: string | null;
  direction: 'inbound' | 'outbound' | null;
  rule: number | '*' | null;
  message: string;
  [extra: string]: unknown;
}

/** Everything a diagnosis needs: the replay's plan and tables. */
export interface DiagnoseInput {
  plan: ReplayPlan;
  spec: ReplaySpec;
  connections: ConnectionTable;
  clients: ClientTable;
  verdicts: VerdictTable;
  /** Port maps shared by all diagnoses of a replay (created on first use). */
  portMaps?: PortMaps;
  /** AWS rules per direction and family a fix may bring an ACL to (default: 20, or 40 when it already holds more). */
  ruleQuota?: number;
  /** Per scenario, the coverage of every client's range and the fixes (computed once, shared by the diagnoses). */
  coverage?: Map<number, ScenarioCoverage>;
  fixes?: Map<number, Map<string, Fix>>;
}

/** The scenario's coverage, computed on first use. */
export function coverageOf(input: DiagnoseInput, s: number): ScenarioCoverage {
  const m = (input.coverage ??= new Map());
  let c = m.get(s);
  if (!c) m.set(s, (c = scenarioCoverage({ ...input, portMaps: portMaps(input) }, s)));
  return c;
}

export function portMaps(input: DiagnoseInput): PortMaps {
  return (input.portMaps ??= new PortMaps(input.plan, input.spec, input.connections.addresses));
}

export const round3 = (x: number) => Math.round(x * 1000) / 1000;
export const capitalize = (t: string) => t.charAt(0).toUpperCase() + t.slice(1);
export const pct = (x: number) => `${Math.round(x * 100)}%`;

/** Largest f(x) over xs (a loop: Math.max(...xs) overflows the stack on a large list). */
export function maxOf<T>(xs: readonly T[], f: (x: T) => number): number {
  let m = -Infinity;
  for (const x of xs) {
    const v = f(x);
    if (v > m) m = v;
  }
  return m;
}

/** Items grouped by key, groups in order of first appearance. */
/** A count of rows and the first few of them (a finding's examples), without a list of every row. */
export class CountedRows {
  count = 0;
  private readonly first: Int32Array;

  constructor(examples = 5) {
    this.first = new Int32Array(examples);
  }

  add(row: number): void {
    if (this.count < this.first.length) this.first[this.count] = row;
    this.count++;
  }

  /** The first rows added, in order (at most the examples asked for). */
  get rows(): Int32Array {
    return this.first.subarray(0, Math.min(this.count, this.first.length));
  }
}

export function groupBy<T, K>(items: Iterable<T>, key: (t: T) => K): Map<K, T[]> {
  const m = new Map<K, T[]>();
  for (const it of items) {
    const k = key(it);
    const l = m.get(k);
    if (l) l.push(it);
    else m.set(k, [it]);
  }
  return m;
}

const coverageCache = new WeakMap<Uint8Array, Map<number, { missing: [number, number][]; share: number }>>();
/** The ports of `range` a port map does not allow, and their share of the range (memoized per map and range). */
export function notAllowedIn(allowed: Uint8Array, range: [number, number]): { missing: [number, number][]; share: number } {
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

/** "egress rule 100" / "the default deny (*) on egress" of an ACL, for messages. */
export function ruleWords(direction: 'inbound' | 'outbound', rule: Rule | null, acl: string): string {
  const dir = direction === 'outbound' ? 'egress' : 'ingress';
  if (!rule) return `no rule on ${dir} of ${acl}`;
  return rule.ruleNumber === '*' ? `the default deny (*) on ${dir} of ${acl}` : `${dir} rule ${rule.ruleNumber} (${rule.action}) of ${acl}`;
}
