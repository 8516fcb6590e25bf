/** What every diagnosis reads (the replay's tables) and writes (a Diagnosis), and the helpers they share. */
import type { Rule } from '../../acl/model.js';
import { portRanges } from '../../profiles.js';
import type { ConnectionTable } from '../../flow/connections.js';
import type { ClientTable } from '../../flow/clients.js';
import type { ReplayPlan } from '../../verdict/plan.js';
import type { ReplaySpec } from '../../verdict/spec.js';
import type { VerdictTable } from '../../verdict/outcomes.js';
import { PortMaps } from '../../verdict/probe.js';
import type { DiagnosisCode } from './codes.js';

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
