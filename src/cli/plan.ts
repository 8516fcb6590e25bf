/**
 * `aclreplay plan <traffic...> [answer options] --shards N | --shard-bytes B -o plan.json`: cut the traffic into
 * shards for machines to work on (`aclreplay work`) and one to merge (`aclreplay merge`), recording the command,
 * its answer options, the inputs' fingerprints, the shard ranges with how each start was found, and the compiled
 * candidates' digest.
 */
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { UsageError } from '../errors.js';
import { trafficKindOf } from '../analyze/traffic.js';
import { PLAN_COMMANDS, type PlanCommand } from '../shard/commands.js';
import type { PlannedInput, ShardPlan } from '../shard/manifest.js';
import type { ShardSize } from '../shard/cut.js';
import { checkReportPath, warn } from './io.js';
import { OUTPUT_OPTIONS, QUEUE_OPTIONS, candidateSpec, parseCommandLine, planCommand, shardBytes, shardCount, splitOptions } from './shard-args.js';
import { addKubernetesOptions, formatChoices, kubernetesManifests, kubernetesRequest, type KubernetesOpts } from './plan-kubernetes.js';

interface PlanOpts extends KubernetesOpts {
  command?: PlanCommand;
  shards?: number;
  shardBytes?: number;
  output: string;
}

/** The shard size options, checked: exactly one of --shards and --shard-bytes. */
export function shardSize(opts: { shards?: number; shardBytes?: number }, what: string): ShardSize {
  if (opts.shards !== undefined && opts.shardBytes !== undefined) throw new UsageError(`${what}: give --shards or --shard-bytes, not both`);
  if (opts.shards === undefined && opts.shardBytes === undefined) throw new UsageError(`${what} needs --shards <n> or --shard-bytes <size>`);
  return opts.shards !== undefined ? { shards: opts.shards } : { shardBytes: opts.shardBytes! };
}

/**
 * Make the plan for `command` run with `args` (its traffic and answer options, as a user types them), parsed by
 * the command's definition into `traffic` and `opts`.
 */
export async function makePlan(command: PlanCommand, args: string[], traffic: string[], opts: Record<string, unknown>, size: ShardSize): Promise<ShardPlan> {
  // Loaded on use: the shard modules (zod, hashing) cost every other command nothing.
  const [{ PLAN_VERSION, sealPlan }, { captureOrigin, cutCapture, shardBytesOf }, { inputFingerprint, valueDigest }] = await Promise.all([import('../shard/manifest.js'), import('../shard/cut.js'), import('../shard/fingerprint.js')]);
  const kind = trafficKindOf(traffic);
  const base = { aclreplay: 'shard-plan' as const, version: PLAN_VERSION, command, cwd: process.cwd(), kind, args };
  if (kind === 'flow-logs') {
    // Flow-log records are judged where they are folded, at the merge (subnets can come from their subnet-id):
    // workers only parse, so the plan holds no compiled candidates; the merge loads the ACLs itself.
    const { cutFlowLogs } = await import('../shard/flowlogs.js');
    const { inputs, shards, skipped, shardBytes } = cutFlowLogs(traffic, size);
    return sealPlan({ ...base, inputs, candidates: null, skipped, shardBytes, shards });
  }
  const name = traffic[0]!;
  const origin = await captureOrigin(name);
  const shards = cutCapture(name, origin, size);
  const compiled = await candidateSpec(command, opts);
  const { size: bytes, fingerprint } = inputFingerprint(name);
  const inputs: PlannedInput[] = [{ name, size: bytes, fingerprint, format: origin.format }];
  return sealPlan({
    ...base,
    inputs,
    candidates: compiled ? { digest: valueDigest(compiled.spec), acls: compiled.acls, scenarios: compiled.spec.scenarios.length } : null,
    shardBytes: shardBytesOf(origin, size),
    shards,
  });
}

export function registerPlan(program: Command, buildProgram: () => Command): void {
  const cmd = program
    .command('plan')
    .description('cut traffic into shards for aclreplay work (on any machine that can read it) and aclreplay merge, which prints what the command prints')
    .argument('<args...>', "the traffic and the command's answer options, as the command takes them (e.g. x.pcap --acl a.yaml --subnet 10.0.2.0/24)")
    .addOption(new Option('--command <name>', `the command the plan is for: ${PLAN_COMMANDS.join(', ')} (default: replay with --acl or --topology, else flows)`).argParser(planCommand))
    .addOption(new Option('--shards <n>', 'cut into this many shards (1-65536)').argParser(shardCount))
    .addOption(new Option('--shard-bytes <size>', 'cut every SIZE bytes of input (e.g. 1GiB)').argParser(shardBytes))
    .requiredOption('-o, --output <file>', 'the plan file to write (JSON)');
  addKubernetesOptions(cmd)
    .allowUnknownOption()
    .action(async (args: string[], opts: PlanOpts) => {
      const size = shardSize(opts, 'plan');
      const { taken } = splitOptions(args, new Set([...OUTPUT_OPTIONS, ...QUEUE_OPTIONS]));
      if (taken.length > 0) throw new UsageError(`${taken[0]} does not belong in a plan: give output options (-F, --html, --fail-on, -j) to aclreplay merge`);
      const command = opts.command ?? (args.some((a) => a === '--acl' || a.startsWith('--acl=') || a === '--topology' || a.startsWith('--topology=')) ? 'replay' : 'flows');
      const k8s = await kubernetesRequest(opts, command, formatChoices(buildProgram, command));
      const parsed = await parseCommandLine(buildProgram, command, args);
      const plan = await makePlan(command, args, parsed.traffic, parsed.opts, size);
      checkReportPath('-o', opts.output, plan.inputs.map((i) => i.name));
      const manifests = k8s && kubernetesManifests(k8s, plan, opts, args, parsed.opts);
      (await import('../shard/manifest.js')).writePlan(resolve(opts.output), plan);
      manifests?.write();
      const n = plan.shards.length;
      warn(`${opts.output}: ${command} of ${plan.inputs.map((i) => i.name).join(', ')} in ${n} shard${n === 1 ? '' : 's'}; next: aclreplay work ${opts.output} --shard <0-${n - 1}> -o part-<i>.bin, then aclreplay merge ${opts.output} part-*.bin`);
      if (manifests) warn(`${k8s!.file}: Kubernetes Jobs ${manifests.layout.workJob} (${n} indexes) and ${manifests.layout.mergeJob}; apply the first (-l app.kubernetes.io/component=work), wait until it is complete, then the second`);
    });
}
