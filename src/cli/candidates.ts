/** The options that choose candidate ACLs and where they apply, and the replay every ACL-judging command runs. */
import type { Command } from 'commander';
import type { ReplayResult } from '../analyze/replay.js';
import type { PlanInput } from '../verdict/plan.js';
import { OUTCOMES } from '../verdict/outcomes.js';
import { DIAGNOSIS_CODES } from '../analyze/diagnoses/codes.js';
import { UsageError } from '../errors.js';
import { parseAclSpec } from '../acl/spec.js';
import { noteCaptureProblems, warn } from './io.js';
import { collect, jobsOption, chunkOption, maxInputBytesOption, workerThreads, type Format } from './options.js';
import { progressBar } from './progress.js';
import { trafficVia } from './via.js';
import { withDecapOptions, decapPassOptions, noteDuplicates, type DecapOpts } from './decap.js';

export interface ReplayOpts extends DecapOpts {
  acl: string[];
  subnet: string[];
  subnets?: string;
  topology?: string;
  param: string[];
  awsLimits: boolean;
  maxInputBytes?: number;
  format: Format;
  jobs?: number;
  chunkSize?: number;
  failOn?: Set<string>;
  html?: string;
}

/** Values `replay --fail-on` accepts: outcomes and diagnosis codes. */
export const REPLAY_FAIL_ON: readonly string[] = [...OUTCOMES, ...DIAGNOSIS_CODES];

/** The options that select candidate ACLs and where they apply. */
export function addAclSelection(cmd: Command): Command {
  return cmd
    .option('--acl <file[#id]>', 'candidate ACL (repeatable): AWS JSON, CloudFormation, Terraform, YAML, ClassBench', collect, [])
    .option('--subnet <cidr>', 'the subnet the ACL guards (repeatable)', collect, [])
    .option('--subnets <file>', "aws ec2 describe-subnets JSON: the ACLs' associations give their subnets")
    .option('--topology <yaml>', 'several subnets, each with its own ACL, judged together')
    .option('--param <name=value>', 'CloudFormation parameter / Terraform variable (repeatable)', collect, [])
    .option('--no-aws-limits', 'do not enforce the AWS maximum of 40 rules per direction and family')
    .addOption(maxInputBytesOption());
}

/** Options every ACL-judging command takes. */
export function withAclOptions(cmd: Command): Command {
  return withDecapOptions(addAclSelection(cmd).addOption(jobsOption()).addOption(chunkOption()));
}

export function planInput(opts: ReplayOpts): PlanInput {
  const params: Record<string, string> = {};
  for (const p of opts.param) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new UsageError(`--param expects Name=Value, got '${p}'`);
    params[p.slice(0, eq)] = p.slice(eq + 1);
  }
  return { acls: opts.acl, subnets: opts.subnet, subnetsFile: opts.subnets, topology: opts.topology, load: { params, awsLimits: opts.awsLimits, maxInputBytes: opts.maxInputBytes } };
}

/** The first --fail-on value the result meets, as a sentence, or null. */
export function failOnMatch(r: ReplayResult, failOn: Set<string>): string | null {
  for (const a of r.report.acls) {
    for (const o of OUTCOMES) if (failOn.has(o) && a.outcomes[o] > 0) return `${a.acl}: ${a.outcomes[o]} connection${a.outcomes[o] === 1 ? '' : 's'} ${o}`;
    for (const d of a.diagnoses) if (failOn.has(d.code)) return `${a.acl}: ${d.code}: ${d.message}`;
  }
  return null;
}

/** The files a replay reads (traffic, ACL files, topology, subnets): what no report may overwrite. */
export function replayInputs(traffic: string[], opts: ReplayOpts): string[] {
  return [...traffic, ...opts.acl.map((a) => parseAclSpec(a).file), opts.topology, opts.subnets].filter((x): x is string => x !== undefined);
}

/** Replay the traffic arguments against the candidates, with a progress bar and one stderr line on problems. */
export async function replayFromCli(traffic: string[], opts: ReplayOpts): Promise<ReplayResult> {
  const bar = progressBar('replaying');
  try {
    // Loaded here, not at startup: the ACL importers (zod, yaml) cost every other command 100 ms otherwise.
    const { runReplay } = await import('../analyze/replay.js');
    const r = await runReplay(traffic, planInput(opts), { jobs: workerThreads(opts.jobs, warn), chunkBytes: opts.chunkSize, onProgress: bar.onProgress, ...decapPassOptions(opts), via: trafficVia() });
    bar.stop();
    noteCaptureProblems(r.summary);
    noteDuplicates(r.summary);
    return r;
  } finally {
    bar.stop();
  }
}
