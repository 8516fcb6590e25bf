/** `aclreplay replay` and `aclreplay diff`: candidate ACLs judged on recorded traffic; the CI gate (--fail-on). */
import { Option, type Command } from 'commander';
import type { ReplayResult } from '../replay/run.js';
import type { PlanInput } from '../replay/scenario.js';
import { OUTCOMES } from '../replay/outcomes.js';
import { UsageError, ExitCode } from '../errors.js';
import { writeStdout, writeReportFile, warn, noteCaptureProblems } from './io.js';
import { formatOption, jobsOption, chunkOption, type OutputFormat } from './options.js';
import { progressBar } from './progress.js';

export interface ReplayOpts {
  acl: string[];
  subnet: string[];
  subnets?: string;
  topology?: string;
  param: string[];
  awsLimits: boolean;
  format: OutputFormat;
  jobs?: number;
  chunkSize?: number;
  failOn?: string;
  html?: string;
}

const collect = (v: string, prev: string[]) => [...prev, v];

/** The options that select candidate ACLs and where they apply. */
export function addAclSelection(cmd: Command): Command {
  return cmd
    .option('--acl <file[#id]>', 'candidate ACL (repeatable): AWS JSON, CloudFormation, Terraform, YAML, ClassBench', collect, [])
    .option('--subnet <cidr>', 'the subnet the ACL guards (repeatable)', collect, [])
    .option('--subnets <file>', 'aws ec2 describe-subnets JSON: the ACLs\' associations give their subnets')
    .option('--topology <yaml>', 'several subnets, each with its own ACL, judged together')
    .option('--param <name=value>', 'CloudFormation parameter / Terraform variable (repeatable)', collect, [])
    .option('--no-aws-limits', 'do not enforce the AWS maximum of 40 rules per direction and family');
}

/** Options every ACL-judging command takes. */
export function withAclOptions(cmd: Command): Command {
  return addAclSelection(cmd).addOption(jobsOption()).addOption(chunkOption());
}

export function planInput(opts: ReplayOpts): PlanInput {
  const params: Record<string, string> = {};
  for (const p of opts.param) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new UsageError(`--param expects Name=Value, got '${p}'`);
    params[p.slice(0, eq)] = p.slice(eq + 1);
  }
  return { acls: opts.acl, subnets: opts.subnet, subnetsFile: opts.subnets, topology: opts.topology, load: { params, awsLimits: opts.awsLimits } };
}

/** Values --fail-on accepts: outcomes and diagnosis codes. */
export const FAIL_ON_CODES = ['RETURN_PORT_NOT_ALLOWED', 'RANGE_PARTIALLY_COVERED', 'FORWARD_DENIED', 'ICMP_NEEDED', 'NOT_CROSSING_SUBNET', 'FAILURES_MATCH_RULE'];

export function parseFailOn(text: string | undefined): Set<string> {
  const out = new Set<string>();
  if (!text) return out;
  for (const t of text.split(',').map((x) => x.trim()).filter(Boolean)) {
    if (!(OUTCOMES as string[]).includes(t) && !FAIL_ON_CODES.includes(t)) throw new UsageError(`--fail-on: '${t}' is neither an outcome (${OUTCOMES.join(', ')}) nor a diagnosis code (${FAIL_ON_CODES.join(', ')})`);
    out.add(t);
  }
  return out;
}

/** The first --fail-on value the result meets, as a sentence, or null. */
export function failOnMatch(r: ReplayResult, failOn: Set<string>): string | null {
  for (const a of r.report.acls) {
    for (const o of OUTCOMES) if (failOn.has(o) && a.outcomes[o] > 0) return `${a.acl}: ${a.outcomes[o]} connection${a.outcomes[o] === 1 ? '' : 's'} ${o}`;
    for (const d of a.diagnoses) if (failOn.has(d.code)) return `${a.acl}: ${d.code}: ${d.message}`;
  }
  return null;
}

export async function replayFromCli(capture: string, opts: ReplayOpts): Promise<ReplayResult> {
  const bar = progressBar('replaying');
  try {
    // Loaded here, not at startup: the ACL importers (zod, yaml) cost every other command 100 ms otherwise.
    const { runReplay } = await import('../replay/run.js');
    const r = await runReplay(capture, planInput(opts), { jobs: opts.jobs, chunkBytes: opts.chunkSize, onProgress: bar.onProgress });
    bar.stop();
    noteCaptureProblems(r.summary);
    return r;
  } finally {
    bar.stop();
  }
}

export function registerReplay(program: Command): void {
  withAclOptions(program.command('replay').description('judge every packet of a capture against candidate ACLs: verdicts per packet, rule, connection and candidate, with diagnoses'))
    .argument('<capture>', 'pcap or pcapng file (gzip allowed), or - for stdin')
    .addOption(formatOption(['table', 'json', 'jsonl', 'tsv'], 'table'))
    .option('--fail-on <outcome|code,...>', 'exit 3 when a connection ends in this outcome or a diagnosis has this code')
    .addOption(new Option('--html <file>', 'also write a self-contained HTML report'))
    .action(async (capture: string, opts: ReplayOpts) => {
      const failOn = parseFailOn(opts.failOn);
      const r = await replayFromCli(capture, opts);
      const { renderReplay } = await import('../report/replay.js');
      await writeStdout(renderReplay(r, opts.format));
      if (opts.html) {
        const { renderHtmlReport } = await import('../report/html.js');
        writeReportFile(opts.html, renderHtmlReport(r));
      }
      const hit = failOnMatch(r, failOn);
      if (hit) {
        warn(`--fail-on matched: ${hit}`);
        process.exitCode = ExitCode.FAIL_ON;
      }
    });

  withAclOptions(program.command('diff').description('connections whose outcome changes between two candidate ACLs, grouped by cause'))
    .argument('<capture>', 'pcap or pcapng file (gzip allowed), or - for stdin')
    .addOption(formatOption(['table', 'json', 'jsonl'], 'table'))
    .option('--fail-on <outcome,...>', 'exit 3 when a connection changes to this outcome')
    .action(async (capture: string, opts: ReplayOpts) => {
      if (opts.acl.length !== 2 || opts.topology) throw new UsageError('diff takes exactly two --acl candidates: the old one first, then the new one');
      const failOn = parseFailOn(opts.failOn);
      const load = planInput(opts).load;
      const { loadAcls, parseAclSpec } = await import('../acl/load.js');
      for (const spec of opts.acl) {
        const acls = loadAcls(spec, load);
        if (acls.length !== 1) {
          const ids = acls.slice(0, 5).map((a) => a.id).join(', ');
          throw new UsageError(`diff: --acl ${spec} holds ${acls.length} ACLs (${ids}${acls.length > 5 ? ', ...' : ''}): name one as ${parseAclSpec(spec).file}#<id>`);
        }
      }
      const r = await replayFromCli(capture, opts);
      const { diffScenarios, renderDiff } = await import('../replay/diff.js');
      const d = diffScenarios(r, 0, 1);
      await writeStdout(renderDiff(d, opts.format));
      const hit = d.changes.find((c) => failOn.has(c.to));
      if (hit) {
        warn(`--fail-on matched: ${hit.connections} connection${hit.connections === 1 ? '' : 's'} ${hit.from} -> ${hit.to}`);
        process.exitCode = ExitCode.FAIL_ON;
      }
    });
}
