/**
 * The failure-share harness: under an ACL that allows only part of the clients' port ranges on the return path,
 * many connection attempts with kernel-chosen source ports, and per client and protocol the share that failed and
 * whether failures come in bursts.
 *
 * Two kinds of attempts per client: one attempt to each of many distinct destinations ("spread": Linux's connect()
 * starts each destination at an independent, hashed offset, so these are independent samples of the share), and
 * long runs of consecutive attempts to a few destinations ("sequences": Linux walks a per-destination counter
 * upwards in small even steps, so consecutive connections to one service land on nearby ports and fail or succeed
 * together; UDP and the NAT's `random` mapping draw every port afresh).
 */
import type { Acl } from '../../src/acl/model.js';
import { CLIENT_NAMES, type Attempt, type AttemptSpec, type ClientName, type KernelLab, type RunResult } from './lab.js';

export interface FailureShareOptions {
  /** The ACL to enforce; its ingress must let the attempts in (destinations basePort.. on TCP/UDP). */
  acl: Acl;
  outDir: string;
  name?: string;
  clients?: readonly ClientName[];
  protos?: readonly ('tcp' | 'udp')[];
  /** Distinct destinations with one attempt each (default 300). */
  spreadDestinations?: number;
  /** Destinations with `sequenceLength` consecutive attempts each (default 3 x 40). */
  sequenceDestinations?: number;
  sequenceLength?: number;
  /** First server port of the destinations (default 20000). */
  basePort?: number;
  /** Passed to the run (see RunOptions). */
  tcpTimeoutMs?: number;
  udpTimeoutMs?: number;
  concurrency?: number;
}

/** One sequence of consecutive attempts to one destination, in connect() order. */
export interface PortSequence {
  dport: number;
  /** Source ports as the server saw them (null: unknown). */
  ports: (number | null)[];
  failed: boolean[];
}

export interface ClientFailureShare {
  client: ClientName;
  proto: 'tcp' | 'udp';
  /** Source ports the server can see from this client. */
  range: [number, number];
  /** The independent samples: one attempt per destination. */
  spread: { attempts: number; failures: number; share: number };
  /** Everything, sequences included. */
  overall: { attempts: number; failures: number; share: number };
  sequences: PortSequence[];
  bursts: Bursts;
  /** Share of kernel-chosen ports with the parity of the range's low end (Linux connect() prefers it). */
  lowParityShare: number;
}

/** How clustered a client's failures are along its sequences. */
export interface Bursts {
  /** Consecutive attempt pairs (within a sequence) whose outcomes differ, and how many independent draws with the
   *  observed overall share would give on average. */
  outcomeChanges: number;
  expectedChanges: number;
  failureRuns: number;
  meanFailureRun: number;
  maxFailureRun: number;
  /** Median source-port step between consecutive attempts to one destination. */
  medianStep: number | null;
  /** Fewer than half the outcome changes independence predicts (null when it predicts fewer than 2). */
  bursty: boolean | null;
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Burst figures of sequences, given the share failures have overall. */
export function burstsOf(sequences: PortSequence[], share: number): Bursts {
  let changes = 0;
  let expected = 0;
  const runs: number[] = [];
  const steps: number[] = [];
  for (const s of sequences) {
    let run = 0;
    for (let i = 0; i < s.failed.length; i++) {
      if (i > 0) {
        if (s.failed[i] !== s.failed[i - 1]) changes++;
        const a = s.ports[i - 1];
        const b = s.ports[i];
        if (a !== null && a !== undefined && b !== null && b !== undefined) steps.push(Math.abs(b - a));
      }
      if (s.failed[i]) run++;
      else if (run > 0) {
        runs.push(run);
        run = 0;
      }
    }
    if (run > 0) runs.push(run);
    expected += Math.max(0, s.failed.length - 1) * 2 * share * (1 - share);
  }
  return {
    outcomeChanges: changes,
    expectedChanges: expected,
    failureRuns: runs.length,
    meanFailureRun: runs.length ? runs.reduce((a, b) => a + b, 0) / runs.length : 0,
    maxFailureRun: runs.length ? Math.max(...runs) : 0,
    medianStep: median(steps),
    bursty: expected < 2 ? null : changes < expected / 2,
  };
}

/** Enforce `opts.acl`, run the kernel-chosen-port attempts, and report failure shares and bursts per client. */
export async function measureFailureShare(lab: KernelLab, opts: FailureShareOptions): Promise<{ run: RunResult; clients: ClientFailureShare[] }> {
  const spread = opts.spreadDestinations ?? 300;
  const nseq = opts.sequenceDestinations ?? 3;
  const len = opts.sequenceLength ?? 40;
  const base = opts.basePort ?? 20000;
  const clients = opts.clients ?? CLIENT_NAMES;
  const protos = opts.protos ?? ['tcp'];
  lab.applyAcl(opts.acl);
  const specs: AttemptSpec[] = [];
  for (const client of clients) {
    for (const proto of protos) {
      for (let d = 0; d < spread; d++) specs.push({ client, proto, family: 4, dport: base + d });
      for (let s = 0; s < nseq; s++) for (let k = 0; k < len; k++) specs.push({ client, proto, family: 4, dport: base + spread + s });
    }
  }
  const ports = Array.from({ length: spread + nseq }, (_, i) => base + i);
  const run = await lab.run({
    name: opts.name ?? 'failure-share',
    outDir: opts.outDir,
    attempts: specs,
    tcpPorts: protos.includes('tcp') ? ports : [],
    udpPorts: protos.includes('udp') ? ports : [],
    ...(opts.tcpTimeoutMs !== undefined ? { tcpTimeoutMs: opts.tcpTimeoutMs } : {}),
    ...(opts.udpTimeoutMs !== undefined ? { udpTimeoutMs: opts.udpTimeoutMs } : {}),
    ...(opts.concurrency !== undefined ? { concurrency: opts.concurrency } : {}),
  });
  const out: ClientFailureShare[] = [];
  for (const client of clients) {
    const c = lab.client(client);
    for (const proto of protos) {
      const mine = run.attempts.filter((a) => a.client === client && a.proto === proto).sort((a, b) => a.seq - b.seq);
      const spreadAttempts = mine.filter((a) => a.dport < base + spread);
      const share = (xs: Attempt[]) => ({ attempts: xs.length, failures: xs.filter((a) => !a.ok).length, share: xs.length ? xs.filter((a) => !a.ok).length / xs.length : 0 });
      const sequences: PortSequence[] = [];
      for (let s = 0; s < nseq; s++) {
        const seq = mine.filter((a) => a.dport === base + spread + s);
        sequences.push({ dport: base + spread + s, ports: seq.map((a) => a.sourcePort), failed: seq.map((a) => !a.ok) });
      }
      const overall = share(mine);
      const own = mine.map((a) => a.localPort).filter((p): p is number => p !== null);
      out.push({
        client,
        proto,
        range: c.seenRange,
        spread: share(spreadAttempts),
        overall,
        sequences,
        bursts: burstsOf(sequences, overall.share),
        lowParityShare: own.length ? own.filter((p) => p % 2 === c.portRange[0] % 2).length / own.length : 0,
      });
    }
  }
  return { run, clients: out };
}

/** One line per client and protocol: shares, bursts, port steps. */
export function formatFailureShares(rows: ClientFailureShare[]): string {
  return rows
    .map((r) => {
      const b = r.bursts;
      return `${r.client} ${r.proto} ${r.range[0]}-${r.range[1]}: failed ${(100 * r.spread.share).toFixed(1)}% of ${r.spread.attempts} independent attempts (${(100 * r.overall.share).toFixed(1)}% of all ${r.overall.attempts}); sequences: ${b.outcomeChanges} outcome changes vs ${b.expectedChanges.toFixed(1)} if independent, failure runs mean ${b.meanFailureRun.toFixed(1)} max ${b.maxFailureRun}, median port step ${b.medianStep ?? '-'}${b.bursty === null ? '' : b.bursty ? ', BURSTY' : ', not bursty'}; low-end parity ${(100 * r.lowParityShare).toFixed(0)}%`;
    })
    .join('\n');
}
