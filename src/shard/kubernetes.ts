/**
 * Kubernetes manifests for a shard plan (`aclreplay plan ... --kubernetes jobs.yaml`): an Indexed Job whose pod of
 * completion index i runs `aclreplay work` on shard i, and a merge Job that runs `aclreplay merge` on the parts.
 * Both mount one ReadWriteMany claim at a directory holding the plan's own, so every path the plan names (inputs,
 * ACL files, the plan, the parts) is the same in the pods as where the plan was made.
 *
 * Kubernetes orders nothing between Jobs, so the merge Job is applied after `kubectl wait --for=condition=complete`
 * on the work Job: Complete is the Job controller's own word that every index succeeded, where a waiting
 * initContainer could only see that part files exist, not that their writers finished (a retried pod rewrites its
 * part) nor that a shard failed for good (it would wait for ever).
 * API: https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/job-v1/
 */
import { posix } from 'node:path';
import { Document } from 'yaml';
import { ExitCode, InternalError, UsageError } from '../errors.js';
import { escapeForTerminal } from '../text/terminal.js';
import type { ShardPlan } from './manifest.js';

/** What the manifests are made with (the --k8s-* options). */
export interface KubernetesOptions {
  /** The container image: aclreplay on the PATH, and sh (examples/kubernetes/Dockerfile builds one). */
  image: string;
  /** The PersistentVolumeClaim holding the inputs, the plan and the parts (ReadWriteMany: pods on many nodes). */
  claim: string;
  /** Where the pods mount the claim: the plan's directory or one above it (default: the plan's directory). */
  mount?: string | undefined;
  /** At most this many work pods at once. */
  parallelism: number;
  /** The merge's output format (-F). */
  format: string;
}

/** Kubernetes accepts at most 10^5 completions and parallelism on an Indexed Job with backoffLimitPerIndex. */
export const MAX_INDEXED_COMPLETIONS = 100_000;

/** Retries of a shard (or of the merge) that failed for a reason that may pass: I/O, a node lost, out of memory. */
export const RETRIES = 2;

/**
 * Exit codes that fail the same way again (README "Exit codes"): usage, bad data, a missing input, a bug. A shard
 * that exits so is failed at once instead of retried; I/O errors (74) and signals (137: out of memory) are retried.
 */
export const FINAL_EXIT_CODES: readonly number[] = [ExitCode.USAGE, ExitCode.DATA, ExitCode.NO_INPUT, ExitCode.INTERNAL];

/** Memory a work pod requests: 2x the shard's bytes + 256 MiB, a rough rule (memory grows with connections, not bytes). */
export function memoryRequest(shardBytes: number): string {
  return `${Math.ceil((2 * shardBytes) / 2 ** 20) + 256}Mi`;
}

/** The file extension of the merge's output in `format`. */
const EXTENSIONS: Record<string, string> = { json: 'json', jsonl: 'jsonl', tsv: 'tsv', table: 'txt' };

/** A DNS-1123 label: lowercase letters, digits and '-', starting and ending alphanumeric, at most 63 characters. */
export const DNS_LABEL = /^(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** A DNS-1123 subdomain (the names of most objects, a PersistentVolumeClaim's too): dot-separated labels, at most 253. */
export const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * An image reference as the distribution grammar has it: [host[:port]/]path[:tag][@digest], path components
 * lowercase (github.com/distribution/reference, reference.go).
 */
const IMAGE_REFERENCE = (() => {
  const host = '(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?/)';
  const component = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
  const tag = '(?::[\\w][\\w.-]{0,127})';
  const digest = '(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})';
  return new RegExp(`^${host}?${component}(?:/${component})*${tag}?${digest}?$`);
})();

/** A value echoed in an error, cut to a readable length. */
function clip(v: string): string {
  return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}...` : v);
}

/** Check the --k8s-* options' values (before any work); `mount` is made absolute and normal. */
export function checkKubernetesOptions(opts: KubernetesOptions, formats: readonly string[], command: string): KubernetesOptions {
  if (!IMAGE_REFERENCE.test(opts.image) || opts.image.length > 4096) throw new UsageError(`--k8s-image ${clip(opts.image)} is not an image reference ([registry/]name[:tag][@digest], e.g. registry.example.com/aclreplay:0.1.0)`);
  if (!DNS_SUBDOMAIN.test(opts.claim)) throw new UsageError(`--k8s-pvc ${clip(opts.claim)} is not a PersistentVolumeClaim name (lowercase letters, digits, '-' and '.', at most 253)`);
  if (!formats.includes(opts.format)) throw new UsageError(`--k8s-format ${clip(opts.format)}: ${command} prints ${formats.join(', ')}`);
  if (!EXTENSIONS[opts.format]) throw new UsageError(`--k8s-format ${clip(opts.format)}: the merge Job writes ${Object.keys(EXTENSIONS).join(', ')}`);
  if (opts.mount !== undefined) {
    if (!opts.mount.startsWith('/')) throw new UsageError(`--k8s-mount ${clip(opts.mount)} is not an absolute path: give the directory where the pods mount the claim`);
    if (/[\0-\x1f\x7f]/.test(opts.mount)) throw new UsageError(`--k8s-mount ${clip(opts.mount)} holds control characters`);
    return { ...opts, mount: posix.normalize(opts.mount).replace(/(.)\/$/, '$1') };
  }
  return opts;
}

/** `word` as one POSIX shell word: as it is when it needs no quoting, else in single quotes. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}

/**
 * Directories of the image a claim must not be mounted on or under: it would hide the system, the shell, or
 * aclreplay itself (/app: where examples/kubernetes/Dockerfile installs it).
 */
const IMAGE_DIRECTORIES = ['/bin', '/sbin', '/usr', '/lib', '/lib32', '/lib64', '/libx32', '/etc', '/proc', '/sys', '/dev', '/app'];

/** True when `path` is `dir` or inside it (both absolute and normal). */
function within(dir: string, path: string): boolean {
  return path === dir || path.startsWith(dir === '/' ? '/' : `${dir}/`);
}

/** A literal for a container's command: Kubernetes expands $(VAR) there and turns $$ into $, so every $ is doubled. */
export function kubeletLiteral(text: string): string {
  return text.replaceAll('$', () => '$$'); // a function: in a replacement string '$$' would mean one '$'
}

/**
 * The work pod's script, run by `sh -c` with $1 the parts directory and $2 the plan. The shell, not Kubernetes,
 * expands JOB_COMPLETION_INDEX: the Job controller sets it in every container of an Indexed Job's pods (from the
 * batch.kubernetes.io/job-completion-index annotation). Written without `$(` and `$$`, which Kubernetes would expand.
 */
export const WORK_SCRIPT = 'mkdir -p -- "$1" && exec aclreplay work "$2" --shard "$JOB_COMPLETION_INDEX" -o "$1/part-$JOB_COMPLETION_INDEX.bin"';
/**
 * The merge pod's script: $1 the parts directory, $2 the plan, $3 the format, $4 the output file. The answer is
 * written aside and renamed, so the file is whole when it appears; the merge's exit code is the pod's.
 */
export const MERGE_SCRIPT = 'aclreplay merge "$2" "$1"/part-*.bin -F "$3" > "$4.partial" && exec mv -f -- "$4.partial" "$4"';

/** Where the Jobs read and write, in the pods (the same absolute paths as where the plan was made). */
export interface KubernetesLayout {
  /** The first 12 hex digits of the plan's digest: in the Jobs' names, labels and the parts' directory. */
  short: string;
  mount: string;
  planPath: string;
  partsDir: string;
  mergedFile: string;
  workJob: string;
  mergeJob: string;
}

/** The subset of the batch/v1 Job API the manifests use (field names as in the API reference). */
export interface JobManifest {
  apiVersion: 'batch/v1';
  kind: 'Job';
  metadata: { name: string; labels: Record<string, string>; annotations: Record<string, string> };
  spec: {
    completionMode: 'Indexed' | 'NonIndexed';
    completions: number;
    parallelism: number;
    backoffLimit?: number;
    backoffLimitPerIndex?: number;
    maxFailedIndexes?: number;
    podReplacementPolicy: 'Failed';
    podFailurePolicy: { rules: PodFailurePolicyRule[] };
    template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
  };
}

interface PodFailurePolicyRule {
  action: 'FailJob' | 'FailIndex' | 'Ignore' | 'Count';
  onExitCodes?: { containerName: string; operator: 'In'; values: number[] };
  onPodConditions?: { type: string; status: 'True' }[];
}

interface PodSpec {
  restartPolicy: 'Never';
  containers: {
    name: string;
    image: string;
    command: string[];
    workingDir: string;
    resources: { requests: { cpu: string; memory: string } };
    volumeMounts: { name: string; mountPath: string }[];
  }[];
  volumes: { name: string; persistentVolumeClaim: { claimName: string } }[];
}

/**
 * The layout of the Jobs for `plan`, written to `planPath` (absolute); `files` are the other files the command
 * reads (ACLs, topology; absolute or relative to the plan's directory). Everything must lie under the mount, or
 * the pods would not see it: a usage error otherwise.
 */
export function kubernetesLayout(plan: ShardPlan, planPath: string, files: readonly string[], opts: KubernetesOptions): KubernetesLayout {
  const cwd = posix.normalize(plan.cwd);
  const mount = opts.mount ?? cwd;
  const outside = (what: string, path: string): UsageError =>
    new UsageError(`${what} ${path} is outside ${mount}, where the pods mount the claim ${opts.claim}, so they would not see it: ${opts.mount === undefined ? `keep it under the plan's directory or give --k8s-mount <a directory above both>` : 'give --k8s-mount <a directory above both>'}`);
  const hidden = mount === '/' ? '/' : IMAGE_DIRECTORIES.find((d) => within(d, mount));
  if (hidden) throw new UsageError(`the claim would be mounted at ${mount}${hidden === mount ? '' : `, inside ${hidden}`}, hiding the image's own files: ${opts.mount === undefined ? 'make the plan in a directory of its own (e.g. /data/run)' : 'give --k8s-mount <a directory of its own>'}`);
  if (!within(mount, cwd)) throw outside("the plan's directory", cwd);
  const plannedPath = posix.resolve(cwd, planPath);
  if (!within(mount, plannedPath)) throw outside('the plan', plannedPath);
  for (const file of [...plan.inputs.map((i) => i.name), ...files]) {
    if (file === '-') continue;
    const path = posix.resolve(cwd, file);
    if (!within(mount, path)) throw outside('the input', path);
  }
  if (plan.shards.length > MAX_INDEXED_COMPLETIONS) throw new UsageError(`${plan.shards.length} shards: an Indexed Job runs at most ${MAX_INDEXED_COMPLETIONS}; plan fewer`);
  const short = plan.digest.slice('sha256:'.length, 'sha256:'.length + 12);
  const dir = posix.dirname(plannedPath);
  const [workJob, mergeJob] = [`aclreplay-${short}-work`, `aclreplay-${short}-merge`];
  // A Job's name is its pods' job-name label value: a DNS label (the digest is hex).
  if (!DNS_LABEL.test(workJob) || !DNS_LABEL.test(mergeJob)) throw new InternalError(`Job names ${workJob}, ${mergeJob} are not DNS labels`);
  return {
    short,
    mount,
    planPath: plannedPath,
    partsDir: posix.join(dir, `parts-${short}`),
    mergedFile: posix.join(dir, `merged-${short}.${EXTENSIONS[opts.format]!}`),
    workJob,
    mergeJob,
  };
}

/** The labels of one of the plan's Jobs and of its pods (`kubectl apply -l app.kubernetes.io/component=work`). */
function labels(layout: KubernetesLayout, component: 'work' | 'merge'): Record<string, string> {
  return { 'app.kubernetes.io/name': 'aclreplay', 'app.kubernetes.io/component': component, 'aclreplay/plan': layout.short };
}

/** A Job of the plan: `component`'s one container runs `script` with `params` ($1...), the claim mounted. */
function job(plan: ShardPlan, layout: KubernetesLayout, opts: KubernetesOptions, component: 'work' | 'merge', spec: Omit<JobManifest['spec'], 'template' | 'podReplacementPolicy'>, script: string, params: string[]): JobManifest {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: component === 'work' ? layout.workJob : layout.mergeJob, labels: labels(layout, component), annotations: { 'aclreplay/plan-digest': plan.digest, 'aclreplay/plan-file': layout.planPath } },
    spec: {
      ...spec,
      // A replacement pod only once the failed one is gone: never two writers of one part (required with podFailurePolicy).
      podReplacementPolicy: 'Failed',
      template: {
        metadata: { labels: labels(layout, component) },
        spec: {
          restartPolicy: 'Never',
          containers: [
            {
              name: component,
              image: opts.image,
              command: ['sh', '-c', script, `aclreplay-${component}`, ...params.map(kubeletLiteral)],
              workingDir: plan.cwd,
              resources: { requests: { cpu: '1', memory: memoryRequest(plan.shardBytes) } },
              volumeMounts: [{ name: 'data', mountPath: layout.mount }],
            },
          ],
          volumes: [{ name: 'data', persistentVolumeClaim: { claimName: opts.claim } }],
        },
      },
    },
  };
}

/** Pods evicted or preempted (a node drained) count against no retry budget. */
const IGNORE_DISRUPTIONS: PodFailurePolicyRule = { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] };

/** The work Job and the merge Job of `plan`. */
export function kubernetesJobs(plan: ShardPlan, layout: KubernetesLayout, opts: KubernetesOptions): { work: JobManifest; merge: JobManifest } {
  const n = plan.shards.length;
  const work = job(
    plan,
    layout,
    opts,
    'work',
    {
      completionMode: 'Indexed',
      completions: n,
      parallelism: Math.min(n, opts.parallelism),
      // Each shard is retried on its own; the first shard that fails for good stops the Job (no merge is possible).
      backoffLimitPerIndex: RETRIES,
      maxFailedIndexes: 0,
      podFailurePolicy: { rules: [IGNORE_DISRUPTIONS, { action: 'FailIndex', onExitCodes: { containerName: 'work', operator: 'In', values: [...FINAL_EXIT_CODES] } }] },
    },
    WORK_SCRIPT,
    [layout.partsDir, layout.planPath],
  );
  const merge = job(
    plan,
    layout,
    opts,
    'merge',
    {
      completionMode: 'NonIndexed',
      completions: 1,
      parallelism: 1,
      backoffLimit: RETRIES,
      podFailurePolicy: { rules: [IGNORE_DISRUPTIONS, { action: 'FailJob', onExitCodes: { containerName: 'merge', operator: 'In', values: [...FINAL_EXIT_CODES] } }] },
    },
    MERGE_SCRIPT,
    [layout.partsDir, layout.planPath, opts.format, layout.mergedFile],
  );
  return { work, merge };
}

/** How the manifests were made: the command line, the directory it ran in, the manifests' file as given. */
export interface MadeBy {
  command: string;
  cwd: string;
  file: string;
}

/** One line of a YAML comment (yaml adds the '#'): names from the plan stay on their line, controls escaped. */
function commentLine(line: string): string {
  return line ? ` ${escapeForTerminal(line)}` : '';
}

/** The manifests as multi-document YAML: the work Job, then the merge Job, each with a comment saying how to apply it. */
export function renderKubernetes(plan: ShardPlan, layout: KubernetesLayout, opts: KubernetesOptions, made: MadeBy): string {
  const { work, merge } = kubernetesJobs(plan, layout, opts);
  const n = plan.shards.length;
  const file = shellWord(made.file);
  const header = [
    `Kubernetes Jobs for the aclreplay shard plan ${plan.digest} (${n} shard${n === 1 ? '' : 's'}): ${plan.command} of ${plan.inputs.map((i) => i.name).join(', ')}.`,
    `Made by: ${made.command}`,
    `in ${made.cwd}.`,
    '',
    `The claim ${opts.claim} (ReadWriteMany) holds the inputs, the plan and the parts; the pods mount it at ${layout.mount},`,
    `so the paths are those of the plan: inputs relative to ${plan.cwd}, the plan ${layout.planPath}.`,
    'Kubernetes orders nothing between Jobs: apply the work Job, wait until it is complete, then apply the merge Job.',
    `  kubectl apply -f ${file} -l app.kubernetes.io/component=work`,
    `  kubectl wait --for=condition=complete --timeout=24h job/${layout.workJob}`,
    `  kubectl apply -f ${file} -l app.kubernetes.io/component=merge`,
    `  kubectl wait --for=condition=complete --timeout=24h job/${layout.mergeJob}`,
    `The answer (${opts.format}) is then ${layout.mergedFile} on the claim; diagnostics: kubectl logs job/${layout.mergeJob}.`,
    `A shard that fails for good fails the work Job (kubectl get job ${layout.workJob} -o jsonpath='{.status.failedIndexes}').`,
    'Needs Kubernetes 1.29 or later (backoffLimitPerIndex, podReplacementPolicy); on older clusters use backoffLimit instead.',
  ];
  const workDoc = new Document(work);
  workDoc.commentBefore = [
    ...header,
    '',
    `Work: pod i runs aclreplay work on shard i (JOB_COMPLETION_INDEX, expanded by sh) into ${layout.partsDir}/part-i.bin.`,
    `Memory requests: 2x the shard's bytes (${plan.shardBytes}) + 256 MiB, a rough rule: memory grows with the connections`,
    'a shard holds, which its bytes only estimate. No limit is set, so a busy shard is not killed for it.',
  ]
    .map(commentLine)
    .join('\n');
  const mergeDoc = new Document(merge);
  mergeDoc.commentBefore = [
    `Merge: apply only after ${layout.workJob} is complete. It refuses a missing, duplicated or foreign part, so applied`,
    'early it fails instead of printing a wrong answer. It holds every connection of the capture (stitched across shards):',
    'its memory request, sized as one shard here, may need raising for captures with many connections.',
  ]
    .map(commentLine)
    .join('\n');
  return [workDoc, mergeDoc].map((d) => d.toString({ lineWidth: 0 })).join('---\n');
}
