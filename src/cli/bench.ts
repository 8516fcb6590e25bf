/**
 * `aclreplay bench --acl <file>[#id] [--trace <classbench trace> | <capture>]`: compile time, table bytes, lookups per
 * second of the compiled classifier and of the linear reference in the same run, and mismatches against trace labels.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { UsageError } from '../errors.js';
import { classify } from '../acl/classify.js';
import { compileRules, compiledBytes } from '../acl/compile.js';
import { linearClassify, type PacketColumns } from '../acl/linear.js';
import { measureRate } from '../acl/measure.js';
import type { Direction, Rule } from '../acl/model.js';
import { packetColumns } from '../acl/trace.js';
import { summarizeCapture } from '../pass/summary.js';
import { keyValues } from '../report/text.js';
import { writeStdout } from './io.js';
import { formatOption, collectParam, type Format } from './options.js';

/** The `bench -F json` object. */
export interface BenchReport {
  acl: string;
  file: string;
  direction: Direction;
  source: string;
  rules: number;
  packets: number;
  compileMs: number;
  bytes: number;
  /** Rates are null when there is nothing to measure (no packets). */
  mpps: number | null;
  nsPerLookup: number | null;
  linearMpps: number | null;
  linearNsPerLookup: number | null;
  /** Packets the linear reference ran on (all, or a leading sample when the full run would be slow). */
  linearPackets: number;
  /** Packets where the compiled classifier and the linear reference disagree (on the linear sample); must be 0. */
  linearDisagreements: number;
  /** Packets whose first match differs from the trace label (1-based first-match rule index); null without labels. */
  mismatches: number | null;
}

/** Above this many rule checks per pass, the linear reference runs on a leading sample. */
const LINEAR_BUDGET = 3e7;

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('measure compile time, table size and lookup rate of an ACL against a ClassBench trace or a capture')
    .argument('[capture]', 'pcap or pcapng file whose packets are classified (instead of --trace)')
    .requiredOption('--acl <file>', 'ACL file, optionally file#id')
    .option('--trace <file>', 'ClassBench header trace (src dst sport dport proto [flags] label)')
    .addOption(new Option('--direction <direction>', 'which rule list to classify against').choices(['inbound', 'outbound']).default('inbound'))
    .addOption(formatOption(['table', 'json'], 'table'))
    .option('--no-aws-limits', 'accept more than 40 rules per direction and family')
    .option('--param <name=value>', 'CloudFormation parameter or Terraform variable (repeatable)', collectParam, {})
    .action(async (capture: string | undefined, opts: { acl: string; trace?: string; direction: Direction; format: Format; awsLimits: boolean; param: Record<string, string> }) => {
      if ((capture === undefined) === (opts.trace === undefined)) throw new UsageError('bench needs either --trace <classbench trace> or a <capture>, not both');
      const { loadAcls, loadTrace } = await import('../acl/load.js');
      const acls = loadAcls(opts.acl, { params: opts.param, awsLimits: opts.awsLimits });
      if (acls.length > 1) throw new UsageError(`${opts.acl} has ${acls.length} ACLs (${acls.map((a) => a.id).join(', ')}); pick one with file#id`);
      const acl = acls[0]!;
      let packets: PacketColumns;
      let count: number;
      let labels: Int32Array | null = null;
      if (opts.trace !== undefined) {
        const t = loadTrace(opts.trace);
        packets = t.packets;
        count = t.count;
        labels = acl.format === 'classbench' ? t.labels : null;
      } else {
        ({ packets, count } = await readCapture(capture!));
      }
      const report = runBench(acl[opts.direction], packets, count, labels);
      const full: BenchReport = { acl: acl.id, file: acl.file, direction: opts.direction, source: opts.trace ?? capture!, ...report };
      await writeStdout(opts.format === 'json' ? `${JSON.stringify(full, null, 2)}\n` : renderBench(full));
    });
}

/** Compile, classify and time `rules` on `count` packets; labels are 1-based first-match rule indexes. */
export function runBench(rules: Rule[], p: PacketColumns, count: number, labels: Int32Array | null): Omit<BenchReport, 'acl' | 'file' | 'direction' | 'source'> {
  const t0 = performance.now();
  const compiled = compileRules(rules);
  const compileMs = performance.now() - t0;
  if (count === 0) {
    const nothing = { mpps: null, nsPerLookup: null, linearMpps: null, linearNsPerLookup: null, linearPackets: 0, linearDisagreements: 0 };
    return { rules: rules.length, packets: 0, compileMs: round(compileMs, 2), bytes: compiledBytes(compiled), ...nothing, mismatches: labels === null ? null : 0 };
  }
  const out = new Int32Array(count);
  classify(compiled, p, null, count, out);
  let mismatches: number | null = null;
  if (labels !== null) {
    mismatches = 0;
    for (let i = 0; i < count; i++) if (out[i]! + 1 !== labels[i]) mismatches++;
  }
  const rate = measureRate(() => classify(compiled, p, null, count, out), count);
  const linearPackets = Math.max(1, Math.min(count, Math.floor(LINEAR_BUDGET / Math.max(1, rules.length))));
  const ref = new Int32Array(linearPackets);
  const linearPass = () => {
    for (let i = 0; i < linearPackets; i++) ref[i] = linearClassify(rules, p, i);
  };
  const lin = measureRate(linearPass, linearPackets, { minMs: 200, groupMs: 5 });
  classify(compiled, p, null, count, out);
  let linearDisagreements = 0;
  for (let i = 0; i < linearPackets && i < count; i++) if (ref[i] !== out[i]) linearDisagreements++;
  return {
    rules: rules.length,
    packets: count,
    compileMs: round(compileMs, 2),
    bytes: compiledBytes(compiled),
    mpps: round(rate.mpps, 3),
    nsPerLookup: round(rate.nsPerLookup, 2),
    linearMpps: round(lin.mpps, 4),
    linearNsPerLookup: round(lin.nsPerLookup, 1),
    linearPackets: Math.min(linearPackets, count),
    linearDisagreements,
    mismatches,
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Decode a capture into packet columns (only the fields a classifier reads). */
async function readCapture(file: string): Promise<{ packets: PacketColumns; count: number }> {
  let cap = 1 << 16;
  let p = packetColumns(cap);
  let n = 0;
  await summarizeCapture(file, {}, (b) => {
    if (n + b.length > cap) {
      while (n + b.length > cap) cap *= 2;
      const q = packetColumns(cap);
      for (const k of Object.keys(q) as (keyof PacketColumns)[]) (q[k] as Uint8Array).set(p[k] as Uint8Array);
      p = q;
    }
    p.family.set(b.family.subarray(0, b.length), n);
    p.proto.set(b.proto.subarray(0, b.length), n);
    p.src.set(b.src.subarray(0, 4 * b.length), 4 * n);
    p.dst.set(b.dst.subarray(0, 4 * b.length), 4 * n);
    p.sport.set(b.sport.subarray(0, b.length), n);
    p.dport.set(b.dport.subarray(0, b.length), n);
    p.icmpType.set(b.icmpType.subarray(0, b.length), n);
    p.icmpCode.set(b.icmpCode.subarray(0, b.length), n);
    p.tcpFlags.set(b.tcpFlags.subarray(0, b.length), n);
    n += b.length;
  });
  return { packets: p, count: n };
}

function renderBench(r: BenchReport): string {
  const head: [string, string][] = [
    ['acl', `${r.acl} (${r.file}), ${r.direction} rules`],
    ['packets', `${r.packets} from ${r.source}`],
    ['rules', String(r.rules)],
    ['compile', `${r.compileMs} ms`],
    ['table bytes', String(r.bytes)],
  ];
  if (r.mpps === null || r.nsPerLookup === null || r.linearMpps === null || r.linearNsPerLookup === null) {
    return keyValues([...head, ['lookups', `nothing to measure: ${r.source} holds no packets`]]);
  }
  const sample = r.linearPackets < r.packets ? ` (on the first ${r.linearPackets} packets: the full run would be slow)` : '';
  return keyValues([
    ...head,
    ['compiled', `${r.mpps.toFixed(2)} Mpps, ${r.nsPerLookup.toFixed(1)} ns/lookup`],
    ['linear', `${r.linearMpps.toFixed(3)} Mpps, ${r.linearNsPerLookup.toFixed(0)} ns/lookup${sample}`],
    ['speedup', `${(r.mpps / Math.max(r.linearMpps, 1e-9)).toFixed(1)}x`],
    ['agreement', r.linearDisagreements === 0 ? 'compiled == linear on every packet checked' : `${r.linearDisagreements} packets differ between compiled and linear (a bug: please report)`],
    ['mismatches', r.mismatches === null ? '- (no labels)' : `${r.mismatches} against trace labels (1-based first match)`],
  ]);
}
