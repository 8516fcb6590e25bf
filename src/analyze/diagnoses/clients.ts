/** A client's coverage as diagnoses list it (AffectedClient), and the sentences that explain its failure model. */
import { percent } from '../../profiles.js';
import type { ClientTable } from '../../flow/clients.js';
import { rangesText, rangesSize, addRange, type ClientCoverage, type GateCoverage } from '../coverage.js';
import { round3, type AffectedClient } from './common.js';

/** Below this profile confidence a client's range is a guess: its findings are info, not warnings. */
export const GUESS_CONFIDENCE = 0.5;

/** Coverage rows by client address and protocol: key address * 2 + (UDP ? 1 : 0). */
export function coverageIndex(rows: readonly ClientCoverage[]): Map<number, ClientCoverage> {
  const m = new Map<number, ClientCoverage>();
  for (const c of rows) m.set(c.address * 2 + (c.proto === 17 ? 1 : 0), c);
  return m;
}

/** The ports of the range some gate (or only `gates`) refuses, default or explicit deny. */
export function deniedRanges(gates: readonly GateCoverage[]): [number, number][] {
  const out: [number, number][] = [];
  for (const g of gates) {
    for (const [a, b] of g.missing) addRange(out, a, b);
    for (const f of g.inForce) for (const [a, b] of f.ranges) addRange(out, a, b);
  }
  return out;
}

/** The client as a diagnosis lists it; `gates` narrows the shares to those gates (default: every gate). */
export function affectedClient(t: ClientTable, cc: ClientCoverage, gates: readonly GateCoverage[] = cc.gates): AffectedClient {
  const denied = deniedRanges(gates);
  let fp = 0;
  for (const g of gates) fp += g.failureProbability;
  return {
    host: t.host(cc.client),
    profile: t.profileName(cc.client),
    range: cc.range,
    confidence: t.confidence[cc.client]!,
    connections: cc.connections,
    ports: cc.seen,
    notAllowedShare: round3(rangesSize(denied) / (cc.range[1] - cc.range[0] + 1)),
    notAllowed: rangesText(denied),
    failureProbability: Math.round(Math.min(1, fp) * 10000) / 10000,
    portModel: cc.parity ? 'parity' : 'uniform',
    failurePattern: cc.bursty ? 'bursty' : 'independent',
  };
}

/** How this client's failures happen, in a sentence. */
export function patternWords(cc: ClientCoverage, proto: string): string {
  const model = cc.parity
    ? `ports drawn from the ${cc.range[0] & 1 ? 'odd' : 'even'} ports of the range (Linux connect()'s first pass${cc.modelEvidence === 'measured' ? `, ${percent(cc.lowParityShare)} of its ports` : ', assumed from the profile'})`
    : 'ports drawn uniformly from the range';
  const pattern = cc.bursty
    ? `failures come in runs, not independently: consecutive ${proto} connections to one destination use nearby ports (${cc.burstEvidence === 'measured' ? `${cc.sequentialSteps} of ${cc.steps} steps at most 16 ports` : 'Linux picks TCP ports sequentially per destination'}), so they fail or work together and a retry soon after a failure fails too`
    : 'each new connection fails independently';
  return `${model}; ${pattern}`;
}

/** "the profile is a guess from 1 port (alternatives: windows 0.37, unknown 0.16)" or null when it is not. */
export function guessWords(t: ClientTable, c: number): string | null {
  if (t.confidence[c]! >= GUESS_CONFIDENCE) return null;
  const alts = t.record(c).alternatives.map((a) => `${a.profile} ${a.probability.toFixed(2)}`);
  return `the profile is a guess from ${t.ports[c]} port${t.ports[c] === 1 ? '' : 's'} (confidence ${t.confidence[c]!.toFixed(2)}${alts.length ? `; alternatives ${alts.join(', ')}` : ''})`;
}

export { percent };
