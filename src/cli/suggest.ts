/**
 * `aclreplay suggest <traffic> --subnet <cidr> [--acl current] [--max-rules 20] [--as ...]`: a least-privilege
 * network ACL from traffic (stdout, in the --as form), or with --acl a tightening of the current ACL as aws ec2
 * commands. Why each rule or change is there goes to stderr (or into the `rules` / `changes` fields of --as json),
 * never into the ACL output.
 */
import { Option, type Command } from 'commander';
import { UsageError } from '../errors.js';
import { parseCidr, type Cidr } from '../acl/model.js';
import { writeStdout, noteCaptureProblems, warn } from './io.js';
import { escapeForTerminal } from '../text/terminal.js';
import { collect, jobsOption, chunkOption, intInRange, maxInputBytesOption, workerThreads } from './options.js';
import { TRAFFIC_ARGUMENT, TRAFFIC_HELP } from './traffic.js';
import { jsonText } from '../text/json.js';
import { withDecapOptions, decapPassOptions, noteDuplicates, type DecapOpts } from './decap.js';

/** Output forms of suggest: an ACL format, the aws ec2 commands, or the whole report as JSON. */
export const SUGGEST_FORMS = ['aws', 'yaml', 'terraform', 'cloudformation', 'commands', 'json'] as const;
type SuggestForm = (typeof SUGGEST_FORMS)[number];

interface SuggestOpts extends DecapOpts {
  subnet: string[];
  acl?: string;
  maxRules: number;
  awsLimits: boolean;
  maxInputBytes?: number;
  as?: SuggestForm;
  param: string[];
  vpcId?: string;
  id?: string;
  jobs?: number;
  chunkSize?: number;
}

/** The AWS quota of rules per direction and family can be raised to 40, not beyond. */
const AWS_MAX_RULES = 40;
/** Rule numbers an entry may have (1-32766): no direction holds more rules than that. */
const MAX_ENTRY_NUMBER = 32766;

export function registerSuggest(program: Command): void {
  withDecapOptions(program.command('suggest'))
    .description('propose a least-privilege network ACL from traffic (or, with --acl, a tightening of the current one)')
    .argument(TRAFFIC_ARGUMENT, TRAFFIC_HELP)
    .option('--subnet <cidr>', 'the subnet the ACL guards (repeatable; required)', collect, [])
    .option('--acl <file[#id]>', 'the current ACL of the subnet: propose a tightening of it instead')
    .addOption(new Option('--max-rules <n>', 'rules per direction and address family (AWS: 20 by default, 40 at most)').argParser(intInRange('--max-rules', 1, MAX_ENTRY_NUMBER)).default(20))
    .option('--no-aws-limits', 'allow --max-rules above 40')
    .addOption(new Option('--as <form>', 'output: aws (describe-network-acls JSON), yaml, terraform, cloudformation, commands (aws ec2), json (the report) [default: aws, or commands with --acl]').choices([...SUGGEST_FORMS]))
    .option('--id <id>', 'id of the new ACL (default: suggested)')
    .option('--vpc-id <id>', 'VPC id written into the aws, terraform and cloudformation forms')
    .option('--param <name=value>', 'CloudFormation parameter / Terraform variable of --acl (repeatable)', collect, [])
    .addOption(maxInputBytesOption())
    .addOption(jobsOption())
    .addOption(chunkOption())
    .action(async (traffic: string[], opts: SuggestOpts) => {
      if (opts.awsLimits && opts.maxRules > AWS_MAX_RULES) throw new UsageError(`--max-rules ${opts.maxRules}: AWS allows at most ${AWS_MAX_RULES} rules per direction and address family (a raised quota); give --no-aws-limits to go beyond`);
      if (opts.subnet.length === 0) throw new UsageError('suggest needs --subnet <cidr>: the subnet the ACL guards (repeatable)');
      const subnets: Cidr[] = opts.subnet.map((t) => {
        const r = parseCidr(t.trim());
        if (!r.ok) throw new UsageError(`--subnet: '${t}' is not a CIDR (${r.reason})`);
        return r.cidr;
      });
      const params: Record<string, string> = {};
      for (const p of opts.param) {
        const eq = p.indexOf('=');
        if (eq <= 0) throw new UsageError(`--param expects Name=Value, got '${p}'`);
        params[p.slice(0, eq)] = p.slice(eq + 1);
      }
      const [{ loadAcls, parseAclSpec }, { suggestAcl }, { emitAcls, emitDescribeNetworkAcls, aclEntries, entryCommands }, { renderDiff }] = await Promise.all([
        import('../acl/load.js'),
        import('../analyze/suggest.js'),
        import('../acl/emit/index.js'),
        import('../report/diff.js'),
      ]);
      let current = null;
      if (opts.acl) {
        const acls = loadAcls(opts.acl, { params, awsLimits: opts.awsLimits, maxInputBytes: opts.maxInputBytes });
        if (acls.length !== 1) throw new UsageError(`suggest: --acl ${opts.acl} holds ${acls.length} ACLs (${acls.slice(0, 5).map((a) => a.id).join(', ')}${acls.length > 5 ? ', ...' : ''}): name one as ${parseAclSpec(opts.acl).file}#<id>`);
        current = acls[0]!;
      }
      const r = await suggestAcl(traffic, { subnets, current, maxRules: opts.maxRules, id: opts.id, pass: { jobs: workerThreads(opts.jobs, warn), chunkBytes: opts.chunkSize, ...decapPassOptions(opts) } });
      noteCaptureProblems(r.summary);
      noteDuplicates(r.summary);
      const form: SuggestForm = opts.as ?? (current ? 'commands' : 'aws');
      const err = (line: string) => process.stderr.write(`${escapeForTerminal(line, { keepNewlines: true })}\n`); // reasons quote ACL ids and rule descriptions
      const dir = (d: string) => (d === 'outbound' ? 'egress' : 'ingress');
      if (form !== 'json') {
        if (current) for (const c of r.changes) err(`reason: ${c.reason}`);
        else for (const x of r.rules) err(`reason: ${dir(x.direction)} rule ${x.ruleNumber} (${x.rule}): ${x.reason}`);
        for (const m of r.merges) err(`merged: ${m}`);
      }
      const changed = r.diff.changed;
      err(
        `suggest: ${r.stillWork} of the ${r.worked} connections that worked still work; ${changed} connection${changed === 1 ? '' : 's'} change outcome, none of which worked` +
          (r.blockedByBase ? `; ${r.blockedByBase} that worked are blocked by ${r.base.id} already (a tightening cannot let them through)` : '') +
          (current && r.changes.length === 0 ? `; ${r.base.id} allows nothing the traffic did not use: no change` : ''),
      );
      if (current && form !== 'json' && changed > 0) err(renderDiff(r.diff, 'table').trimEnd());
      const emitOpts = opts.vpcId === undefined ? {} : { vpcId: opts.vpcId };
      let out: string;
      if (form === 'commands') {
        if (current) out = r.changes.map((c) => `${c.command}\n`).join('');
        else {
          // A new ACL as the commands that fill it (egress first, as describe-network-acls lists them).
          const { ingress, egress } = aclEntries(r.acl);
          out = entryCommands(r.acl.id, [...egress, ...ingress].map((entry) => ({ action: 'create' as const, entry }))).map((l) => `${l}\n`).join('');
        }
      } else if (form === 'json') {
        const doc = {
          traffic: r.traffic,
          subnets: r.subnets,
          mode: r.mode,
          acl: (JSON.parse(emitDescribeNetworkAcls([r.acl], emitOpts)) as { NetworkAcls: unknown[] }).NetworkAcls[0],
          rules: r.rules,
          changes: r.changes.map((c) => ({ command: c.command, reason: c.reason })),
          merges: r.merges,
          maxRules: r.maxRules,
          worked: r.worked,
          stillWork: r.stillWork,
          blockedByBase: r.blockedByBase,
          diff: r.diff,
        };
        out = `${jsonText(doc, 2)}\n`;
      } else out = emitAcls(form, [r.acl], emitOpts);
      await writeStdout(out);
    });
}
