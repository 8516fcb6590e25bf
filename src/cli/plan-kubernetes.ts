/**
 * `aclreplay plan ... --kubernetes <file>`: the options of the Kubernetes manifests, checked before the plan is made,
 * and the manifests written with it. The renderer (src/shard/kubernetes.ts, with yaml) is loaded only when asked for.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { parseAclSpec } from '../acl/spec.js';
import type { PlanCommand } from '../shard/commands.js';
import type { ShardPlan } from '../shard/manifest.js';
import type { KubernetesLayout, KubernetesOptions } from '../shard/kubernetes.js';
import { checkReportPath, writeReportFile } from './io.js';
import { intInRange } from './options.js';

/** The defaults of the --k8s-* options. */
export const K8S_DEFAULTS = { image: 'aclreplay:latest', claim: 'aclreplay-data', parallelism: 8, format: 'json' } as const;

export interface KubernetesOpts {
  kubernetes?: string;
  k8sImage?: string;
  k8sPvc?: string;
  k8sMount?: string;
  k8sParallelism?: number;
  k8sFormat?: string;
}

/** The options that shape the manifests, with their flags. */
const K8S_FLAGS: readonly [keyof KubernetesOpts, string][] = [
  ['k8sImage', '--k8s-image'],
  ['k8sPvc', '--k8s-pvc'],
  ['k8sMount', '--k8s-mount'],
  ['k8sParallelism', '--k8s-parallelism'],
  ['k8sFormat', '--k8s-format'],
];

/** Add --kubernetes and the --k8s-* options to the plan command. */
export function addKubernetesOptions(cmd: Command): Command {
  return cmd
    .option('--kubernetes <file>', 'also write Kubernetes manifests (YAML): an Indexed Job where JOB_COMPLETION_INDEX is the shard, and a merge Job')
    .option('--k8s-image <image>', `the container image, with aclreplay and sh (default ${K8S_DEFAULTS.image})`)
    .option('--k8s-pvc <claim>', `the ReadWriteMany PersistentVolumeClaim holding the inputs, the plan and the parts (default ${K8S_DEFAULTS.claim})`)
    .option('--k8s-mount <path>', "where the pods mount the claim: the plan's directory or one above it (default: the plan's directory)")
    .option('--k8s-parallelism <n>', `work pods at once, 1-65536 (default ${K8S_DEFAULTS.parallelism})`, intInRange('--k8s-parallelism', 1, 65536))
    .option('--k8s-format <format>', `the merge Job's output format (default ${K8S_DEFAULTS.format})`);
}

/** The -F choices of `command`, by its own definition. */
export function formatChoices(buildProgram: () => Command, command: PlanCommand): string[] {
  const cmd = buildProgram().commands.find((c) => c.name() === command);
  return cmd?.options.find((o) => o.long === '--format')?.argChoices?.slice() ?? [];
}

/** The files besides the traffic that the command's answer options name (ACLs, topology, describe-subnets). */
function answerFiles(opts: Record<string, unknown>): string[] {
  const acls = Array.isArray(opts.acl) ? (opts.acl as string[]).map((a) => parseAclSpec(a).file) : [];
  return [...acls, opts.topology, opts.subnets].filter((f): f is string => typeof f === 'string');
}

/** A command line as the shell reads it back. */
function commandLine(words: readonly string[], quote: (w: string) => string): string {
  return words.map(quote).join(' ');
}

/** Manifests asked for: where, with what, and the renderer. */
export interface KubernetesRequest {
  file: string;
  options: KubernetesOptions;
  /** The flags as given, for the manifests' header. */
  flags: string[];
  renderer: typeof import('../shard/kubernetes.js');
}

/** The manifests asked for, their options checked (null without --kubernetes; a --k8s-* option alone is an error). */
export async function kubernetesRequest(opts: KubernetesOpts, command: PlanCommand, formats: readonly string[]): Promise<KubernetesRequest | null> {
  const given = K8S_FLAGS.filter(([key]) => opts[key] !== undefined);
  if (opts.kubernetes === undefined) {
    if (given.length > 0) throw new UsageError(`${given[0]![1]} shapes the manifests of --kubernetes <file>: give that too`);
    return null;
  }
  const renderer = await import('../shard/kubernetes.js');
  const options = renderer.checkKubernetesOptions(
    {
      image: opts.k8sImage ?? K8S_DEFAULTS.image,
      claim: opts.k8sPvc ?? K8S_DEFAULTS.claim,
      mount: opts.k8sMount,
      parallelism: opts.k8sParallelism ?? K8S_DEFAULTS.parallelism,
      format: opts.k8sFormat ?? K8S_DEFAULTS.format,
    },
    formats,
    command,
  );
  const flags = ['--kubernetes', opts.kubernetes, ...given.flatMap(([key, flag]) => [flag, String(opts[key])])];
  return { file: opts.kubernetes, options, flags, renderer };
}

/** The plan command's own options, as the manifests' header repeats them. */
export interface PlanLine {
  command?: string;
  shards?: number;
  shardBytes?: number;
  output: string;
}

/**
 * Render the manifests for `plan` (made with `line` and `args`, the command's traffic and answer options, parsed
 * into `answerOpts`), refusing a file that would overwrite an input or the plan. Returns what to write, and the
 * layout to name.
 */
export function kubernetesManifests(req: KubernetesRequest, plan: ShardPlan, line: PlanLine, args: readonly string[], answerOpts: Record<string, unknown>): { write: () => void; layout: KubernetesLayout } {
  const planFile = line.output;
  const size = line.shards !== undefined ? ['--shards', String(line.shards)] : ['--shard-bytes', String(line.shardBytes)];
  const planWords = ['aclreplay', 'plan', ...(line.command ? ['--command', line.command] : []), ...args, ...size, '-o', planFile];
  const files = answerFiles(answerOpts);
  checkReportPath('--kubernetes', req.file, [...plan.inputs.map((i) => i.name), ...files]);
  if (resolve(req.file) === resolve(planFile)) throw new UsageError(`--kubernetes ${req.file} is also the plan (-o): write the manifests to another file`);
  const { kubernetesLayout, renderKubernetes, shellWord } = req.renderer;
  const layout = kubernetesLayout(plan, resolve(planFile), files, req.options);
  const text = renderKubernetes(plan, layout, req.options, { command: commandLine([...planWords, ...req.flags], shellWord), cwd: process.cwd(), file: req.file });
  return { write: () => writeReportFile(req.file, text), layout };
}
