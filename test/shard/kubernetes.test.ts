/**
 * plan --kubernetes: the manifests parse as YAML, pass a schema of the batch/v1 Job API subset they use (strict, so
 * a misspelt field fails), and mean what they should: one index per shard, JOB_COMPLETION_INDEX as --shard and in
 * the part's name, the plan's directory as workingDir, the merge reading the parts the work writes. Their commands,
 * run here as the kubelet and sh would run them (no cluster is at hand), give the single-process answer byte for
 * byte. The bundled example is what the renderer makes for its plan.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { FINAL_EXIT_CODES, kubernetesLayout, renderKubernetes } from '../../src/shard/kubernetes.js';
import { K8S_DEFAULTS } from '../../src/cli/plan-kubernetes.js';
import { readPlan, type ShardPlan } from '../../src/shard/manifest.js';
import { CLI } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/corpus.js';
import { runMain } from '../helpers/main.js';

const tmp = mkdtempSync(join(tmpdir(), 'aclreplay-k8s-'));
afterAll(() => {
  process.chdir(REPO_ROOT);
  rmSync(tmp, { recursive: true, force: true });
});

// ---- The batch/v1 Job API, the subset the manifests use ----------------------------------------------------------
// Field names, types and enums from the API reference: https://kubernetes.io/docs/reference/kubernetes-api/
// workload-resources/job-v1/ (JobSpec, PodFailurePolicy), .../pod-v1/ (PodSpec, Container), .../persistent-volume-
// claim-v1/; name rules from https://kubernetes.io/docs/concepts/overview/working-with-objects/names/ and labels/.

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dnsLabel = z.string().max(63).regex(DNS_LABEL, 'not a DNS-1123 label');
const dnsSubdomain = z
  .string()
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, 'not a DNS-1123 subdomain');
/** A label or annotation key: [prefix/]name, the prefix a DNS subdomain, the name 63 characters at most. */
const qualifiedName = z.string().refine((k) => {
  const slash = k.lastIndexOf('/');
  const name = slash < 0 ? k : k.slice(slash + 1);
  const prefix = slash < 0 ? null : k.slice(0, slash);
  return name.length <= 63 && /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(name) && (prefix === null || dnsSubdomain.safeParse(prefix).success);
}, 'not a qualified name');
const labelValue = z
  .string()
  .max(63)
  .regex(/^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/, 'not a label value');
const labels = z.record(qualifiedName, labelValue);
const annotations = z.record(qualifiedName, z.string());
const int32 = z
  .number()
  .int()
  .min(-(2 ** 31))
  .max(2 ** 31 - 1);
const nonNegative = int32.min(0);
/** A resource quantity: a decimal number with an SI or binary suffix (resource.Quantity). */
const quantity = z.string().regex(/^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/, 'not a quantity');
const resourceList = z.partialRecord(z.enum(['cpu', 'memory', 'ephemeral-storage']), quantity);

const EnvVar = z
  .object({
    name: z.string().regex(/^[-._a-zA-Z][-._a-zA-Z0-9]*$/),
    value: z.string().optional(),
    valueFrom: z.object({ fieldRef: z.object({ apiVersion: z.string().optional(), fieldPath: z.string() }).strict() }).strict().optional(),
  })
  .strict();
const VolumeMount = z
  .object({ name: dnsLabel, mountPath: z.string().startsWith('/'), readOnly: z.boolean().optional(), subPath: z.string().optional() })
  .strict();
const Container = z
  .object({
    name: dnsLabel,
    image: z.string().min(1),
    command: z.array(z.string()).optional(),
    args: z.array(z.string()).optional(),
    workingDir: z.string().optional(),
    env: z.array(EnvVar).optional(),
    volumeMounts: z.array(VolumeMount).optional(),
    resources: z.object({ requests: resourceList.optional(), limits: resourceList.optional() }).strict().optional(),
  })
  .strict();
const Volume = z
  .object({ name: dnsLabel, persistentVolumeClaim: z.object({ claimName: dnsSubdomain, readOnly: z.boolean().optional() }).strict() })
  .strict();
const PodSpec = z
  .object({
    restartPolicy: z.enum(['Always', 'OnFailure', 'Never']),
    containers: z.array(Container).min(1),
    initContainers: z.array(Container).optional(),
    volumes: z.array(Volume).optional(),
  })
  .strict()
  .superRefine((spec, ctx) => {
    const volumes = new Set((spec.volumes ?? []).map((v) => v.name));
    const names = [...spec.containers, ...(spec.initContainers ?? [])].map((c) => c.name);
    if (new Set(names).size !== names.length) ctx.addIssue({ code: 'custom', message: 'container names must be unique' });
    for (const c of spec.containers) for (const m of c.volumeMounts ?? []) if (!volumes.has(m.name)) ctx.addIssue({ code: 'custom', message: `volumeMount ${m.name} names no volume` });
  });
const PodFailurePolicyRule = z
  .object({
    action: z.enum(['FailJob', 'FailIndex', 'Ignore', 'Count']),
    onExitCodes: z
      .object({ containerName: z.string().optional(), operator: z.enum(['In', 'NotIn']), values: z.array(int32).min(1).max(255) })
      .strict()
      .refine((e) => e.values.every((v, i) => i === 0 || v > e.values[i - 1]!), 'values must be ordered, without duplicates')
      .refine((e) => e.operator !== 'In' || !e.values.includes(0), "value 0 cannot be used with In")
      .optional(),
    onPodConditions: z
      .array(z.object({ type: z.string().min(1), status: z.enum(['True', 'False', 'Unknown']) }).strict())
      .max(20)
      .optional(),
  })
  .strict()
  .refine((r) => (r.onExitCodes === undefined) !== (r.onPodConditions === undefined), 'one of onExitCodes and onPodConditions');
const JobSpec = z
  .object({
    parallelism: nonNegative.optional(),
    completions: nonNegative.optional(),
    completionMode: z.enum(['NonIndexed', 'Indexed']).optional(),
    activeDeadlineSeconds: z.number().int().positive().optional(),
    backoffLimit: nonNegative.optional(),
    backoffLimitPerIndex: nonNegative.optional(),
    maxFailedIndexes: nonNegative.optional(),
    podFailurePolicy: z.object({ rules: z.array(PodFailurePolicyRule).max(20) }).strict().optional(),
    podReplacementPolicy: z.enum(['TerminatingOrFailed', 'Failed']).optional(),
    ttlSecondsAfterFinished: nonNegative.optional(),
    suspend: z.boolean().optional(),
    template: z.object({ metadata: z.object({ labels: labels.optional(), annotations: annotations.optional() }).strict().optional(), spec: PodSpec }).strict(),
  })
  .strict()
  .superRefine((s, ctx) => {
    const fail = (message: string): void => ctx.addIssue({ code: 'custom', message });
    const restart = s.template.spec.restartPolicy;
    if (restart !== 'Never' && restart !== 'OnFailure') fail('a Job pod restartPolicy is Never or OnFailure');
    if (s.completionMode === 'Indexed') {
      if (s.completions === undefined) fail('Indexed needs completions');
      if ((s.completions ?? 0) > 100_000 || (s.parallelism ?? 0) > 100_000) fail('Indexed: completions and parallelism at most 10^5');
    }
    if (s.backoffLimitPerIndex !== undefined && (s.completionMode !== 'Indexed' || restart !== 'Never')) fail('backoffLimitPerIndex needs Indexed and restartPolicy Never');
    if (s.maxFailedIndexes !== undefined && (s.backoffLimitPerIndex === undefined || s.maxFailedIndexes > (s.completions ?? 0))) fail('maxFailedIndexes needs backoffLimitPerIndex and at most completions');
    if (s.podFailurePolicy) {
      if (restart !== 'Never') fail('podFailurePolicy needs restartPolicy Never');
      if (s.podReplacementPolicy !== undefined && s.podReplacementPolicy !== 'Failed') fail('podFailurePolicy allows only podReplacementPolicy Failed');
      const containers = new Set(s.template.spec.containers.map((c) => c.name));
      for (const r of s.podFailurePolicy.rules) {
        if (r.action === 'FailIndex' && s.backoffLimitPerIndex === undefined) fail('FailIndex needs backoffLimitPerIndex');
        const name = r.onExitCodes?.containerName;
        if (name !== undefined && !containers.has(name)) fail(`onExitCodes.containerName ${name} names no container`);
      }
    }
  });
const Job = z
  .object({
    apiVersion: z.literal('batch/v1'),
    kind: z.literal('Job'),
    // A Job's name becomes its pods' job-name label value: a DNS label, 63 characters at most.
    metadata: z.object({ name: dnsLabel, namespace: dnsLabel.optional(), labels: labels.optional(), annotations: annotations.optional() }).strict(),
    spec: JobSpec,
  })
  .strict();
type Job = z.infer<typeof Job>;

/** Every document of a manifests file, parsed and checked against the Job schema (the first issue fails the test). */
function parseJobs(text: string): Job[] {
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) throw new Error('no YAML document');
  return docs.map((doc, i) => {
    expect(doc.errors, `document ${i}`).toEqual([]);
    const parsed = Job.safeParse(doc.toJS());
    if (!parsed.success) throw new Error(`document ${i}: ${parsed.error.issues[0]!.path.join('.')}: ${parsed.error.issues[0]!.message}`);
    return parsed.data;
  });
}

/** The work Job and the merge Job of a manifests file, told apart by the label `kubectl apply -l` selects on. */
function jobsOf(text: string): { work: Job; merge: Job } {
  const jobs = parseJobs(text);
  expect(jobs).toHaveLength(2);
  const by = (c: string): Job[] => jobs.filter((j) => j.metadata.labels?.['app.kubernetes.io/component'] === c);
  expect(by('work')).toHaveLength(1);
  expect(by('merge')).toHaveLength(1);
  return { work: by('work')[0]!, merge: by('merge')[0]! };
}

// ---- Running a container's command as Kubernetes would ---------------------------------------------------------

/**
 * A command string as the kubelet passes it: $(VAR) replaced by the container's variable when it has one, else
 * kept; $$ becomes $ (kubernetes third_party/forked/golang/expansion/expand.go).
 */
function kubeletExpand(text: string, env: Record<string, string>): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== '$' || i + 1 >= text.length) {
      out += text[i];
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      out += '$';
      i++;
    } else if (next === '(') {
      const close = text.indexOf(')', i + 2);
      if (close < 0) {
        out += '$(';
        i++;
      } else {
        const name = text.slice(i + 2, close);
        out += env[name] ?? `$(${name})`;
        i = close;
      }
    } else {
      out += `$${next}`;
      i++;
    }
  }
  return out;
}

/** Where `aclreplay` on a pod's PATH is the built CLI. */
function cliOnPath(): string {
  expect(existsSync(CLI), `${CLI} is missing: npm run build first`).toBe(true);
  const bin = join(tmp, 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'aclreplay'), `#!/bin/sh\nexec '${process.execPath}' '${CLI}' "$@"\n`);
  chmodSync(join(bin, 'aclreplay'), 0o755);
  return bin;
}

/** Run the Job's container as a pod of completion index `index` would (undefined: not an Indexed Job). */
function runContainer(job: Job, index?: number): { status: number; stderr: string } {
  const c = job.spec.template.spec.containers[0]!;
  const env: Record<string, string> = { PATH: `${cliOnPath()}:/usr/bin:/bin` };
  for (const v of c.env ?? []) if (v.value !== undefined) env[v.name] = v.value;
  // The Job controller adds JOB_COMPLETION_INDEX to every container of an Indexed Job's pods.
  if (index !== undefined) env.JOB_COMPLETION_INDEX = String(index);
  const argv = [...(c.command ?? []), ...(c.args ?? [])].map((a) => kubeletExpand(a, env));
  const r = spawnSync(argv[0]!, argv.slice(1), { cwd: c.workingDir, env, encoding: 'utf8' });
  return { status: r.status ?? -1, stderr: r.stderr };
}

// ---- Plans made here -------------------------------------------------------------------------------------------

let seq = 0;
const CANDIDATES = ['--acl', 'acl.yaml', '--subnet', '10.0.2.0/24'];

/** A directory of its own holding the capture and an ACL, its name with a space, a quote, $$ and a $(VAR) the kubelet knows in it. */
function runDirectory(): string {
  const dir = join(tmp, `run ${seq++} $(JOB_COMPLETION_INDEX) $$ 'q'`);
  mkdirSync(dir);
  copyFileSync(join(REPO_ROOT, 'captures', 'mixed-clients.pcap'), join(dir, 'mixed-clients.pcap'));
  copyFileSync(join(REPO_ROOT, 'examples', 'windows-only-return.yaml'), join(dir, 'acl.yaml'));
  return dir;
}

/** `aclreplay plan` in `dir` with --kubernetes; the plan and the manifests' text. */
async function planWithManifests(dir: string, extra: string[]): Promise<{ plan: ShardPlan; text: string; stderr: string }> {
  process.chdir(dir);
  const r = await runMain(['plan', 'mixed-clients.pcap', ...CANDIDATES, ...extra, '-o', 'plan.json', '--kubernetes', 'jobs.yaml']);
  expect(r.code, r.stderr).toBe(0);
  return { plan: readPlan(join(dir, 'plan.json')), text: readFileSync(join(dir, 'jobs.yaml'), 'utf8'), stderr: r.stderr };
}

describe('plan --kubernetes', () => {
  it('an Indexed Job of one index per shard and a merge Job, in the Job schema, meaning what they should', async () => {
    const dir = runDirectory();
    const { plan, text, stderr } = await planWithManifests(dir, ['--shards', '3', '--k8s-parallelism', '2', '--k8s-image', 'registry.example.com:5000/team/aclreplay:0.1.0', '--k8s-pvc', 'captures-rwx']);
    expect(plan.shards).toHaveLength(3);
    const { work, merge } = jobsOf(text);
    const short = plan.digest.slice(7, 19);
    expect(stderr).toContain(`aclreplay-${short}-work (3 indexes)`);

    for (const job of [work, merge]) {
      expect(job.metadata.name.length).toBeLessThanOrEqual(63);
      expect(job.metadata.name).toMatch(DNS_LABEL);
      expect(job.metadata.labels).toMatchObject({ 'app.kubernetes.io/name': 'aclreplay', 'aclreplay/plan': short });
      expect(job.metadata.annotations?.['aclreplay/plan-digest']).toBe(plan.digest);
      expect(job.spec.template.metadata?.labels).toEqual(job.metadata.labels);
      const c = job.spec.template.spec.containers[0]!;
      expect(c.image).toBe('registry.example.com:5000/team/aclreplay:0.1.0');
      expect(c.workingDir).toBe(plan.cwd);
      expect(c.workingDir).toBe(dir);
      expect(job.spec.template.spec.volumes).toEqual([{ name: 'data', persistentVolumeClaim: { claimName: 'captures-rwx' } }]);
      expect(c.volumeMounts).toEqual([{ name: 'data', mountPath: dir }]);
      expect(job.spec.template.spec.restartPolicy).toBe('Never');
      // Failures that would fail again are final; the exit codes are the CLI's own.
      const final = job.spec.podFailurePolicy!.rules.find((r) => r.onExitCodes)!;
      expect(final.onExitCodes!.values).toEqual([...FINAL_EXIT_CODES]);
      expect(final.action).toBe(job === work ? 'FailIndex' : 'FailJob');
    }
    expect(work.metadata.name).toBe(`aclreplay-${short}-work`);
    expect(merge.metadata.name).toBe(`aclreplay-${short}-merge`);

    expect(work.spec.completionMode).toBe('Indexed');
    expect(work.spec.completions).toBe(plan.shards.length);
    expect(work.spec.parallelism).toBe(2);
    expect(work.spec.backoffLimitPerIndex).toBeGreaterThan(0);
    expect(merge.spec.completions).toBe(1);
    expect(merge.spec.completionMode).not.toBe('Indexed');

    // The work command: sh -c SCRIPT $0 PARTS PLAN, the index in --shard and in the part's name.
    const wc = work.spec.template.spec.containers[0]!.command!;
    expect(wc.slice(0, 2)).toEqual(['sh', '-c']);
    expect(wc[2]).toContain('aclreplay work "$2" --shard "$JOB_COMPLETION_INDEX" -o "$1/part-$JOB_COMPLETION_INDEX.bin"');
    const parts = join(dir, `parts-${short}`);
    const planPath = join(dir, 'plan.json');
    // Paths reach sh as positional parameters, their $ doubled for the kubelet.
    expect(wc.slice(4).map((a) => kubeletExpand(a, {}))).toEqual([parts, planPath]);
    // The merge reads the same plan and the parts the work writes.
    const mc = merge.spec.template.spec.containers[0]!.command!;
    expect(mc[2]).toContain('aclreplay merge "$2" "$1"/part-*.bin -F "$3"');
    expect(mc.slice(4).map((a) => kubeletExpand(a, {}))).toEqual([parts, planPath, 'json', join(dir, `merged-${short}.json`)]);
  });

  it('run as pods would run them, the work and merge commands give the single-process answer', async () => {
    const dir = runDirectory();
    const { plan, text } = await planWithManifests(dir, ['--shards', '3']);
    const { work, merge } = jobsOf(text);
    const short = plan.digest.slice(7, 19);
    for (let i = 0; i < work.spec.completions!; i++) {
      const r = runContainer(work, i);
      expect(r.status, r.stderr).toBe(0);
    }
    expect(readdirSync(join(dir, `parts-${short}`)).sort()).toEqual(['part-0.bin', 'part-1.bin', 'part-2.bin']);
    const m = runContainer(merge);
    expect(m.status, m.stderr).toBe(0);
    process.chdir(dir);
    const single = await runMain(['replay', 'mixed-clients.pcap', ...CANDIDATES, '-F', 'json', '-j', '1']);
    expect(single.code, single.stderr).toBe(0);
    expect(readFileSync(join(dir, `merged-${short}.json`), 'utf8')).toBe(single.stdout);
    expect(existsSync(join(dir, `merged-${short}.json.partial`))).toBe(false);

    // Applied before every part is there, the merge fails with an exit code its podFailurePolicy makes final.
    rmSync(join(dir, `parts-${short}`, 'part-1.bin'));
    rmSync(join(dir, `merged-${short}.json`));
    const early = runContainer(merge);
    expect(early.stderr).toMatch(/shard 1/);
    expect(FINAL_EXIT_CODES).toContain(early.status);
    expect(existsSync(join(dir, `merged-${short}.json`))).toBe(false);
  });

  it('one shard; memory requested as 2x the shard bytes + 256 MiB; another format', async () => {
    const { plan, text } = await planWithManifests(runDirectory(), ['--shard-bytes', '64MiB', '--k8s-format', 'tsv']);
    expect(plan.shards).toHaveLength(1);
    const { work, merge } = jobsOf(text);
    expect(work.spec.completions).toBe(1);
    expect(work.spec.parallelism).toBe(1);
    for (const job of [work, merge]) expect(job.spec.template.spec.containers[0]!.resources?.requests).toEqual({ cpu: '1', memory: `${128 + 256}Mi` });
    const mc = merge.spec.template.spec.containers[0]!.command!;
    expect(mc[6]).toBe('tsv');
    expect(mc[7]).toMatch(/merged-[0-9a-f]{12}\.tsv$/);
  });

  it('the schema refuses a misspelt field, a wrong type and an out-of-range value', async () => {
    const { text } = await planWithManifests(runDirectory(), ['--shards', '2']);
    const { work } = jobsOf(text);
    const broken = (edit: (j: Record<string, any>) => void): boolean => {
      const j = structuredClone(work) as Record<string, any>;
      edit(j);
      return Job.safeParse(j).success;
    };
    expect(broken(() => {})).toBe(true);
    expect(broken((j) => ((j.spec.completionsMode = j.spec.completionMode), delete j.spec.completionMode))).toBe(false);
    expect(broken((j) => (j.spec.template.spec.containers[0].workingdir = '/x'))).toBe(false);
    expect(broken((j) => (j.spec.completions = '2'))).toBe(false);
    expect(broken((j) => (j.spec.completionMode = 'indexed'))).toBe(false);
    expect(broken((j) => (j.spec.template.spec.restartPolicy = 'Always'))).toBe(false);
    expect(broken((j) => (j.metadata.name = `x${'a'.repeat(63)}`))).toBe(false);
    expect(broken((j) => (j.spec.template.spec.volumes[0].persistentVolumeClaim.claimName = 'Bad_Name'))).toBe(false);
    expect(broken((j) => delete j.spec.backoffLimitPerIndex)).toBe(false);
    expect(broken((j) => (j.spec.template.spec.containers[0].resources.requests.memory = '512 MiB'))).toBe(false);
  });

  it('refuses bad options with one line and exit 2', async () => {
    const dir = runDirectory();
    process.chdir(dir);
    const plan = (...extra: string[]) => runMain(['plan', 'mixed-clients.pcap', ...CANDIDATES, '--shards', '2', '-o', 'plan.json', ...extra]);
    const cases: [string[], RegExp][] = [
      [['--k8s-image', 'x'], /--k8s-image shapes the manifests of --kubernetes <file>: give that too/],
      [['--kubernetes', 'j.yaml', '--k8s-image', 'Bad Image'], /--k8s-image "Bad Image" is not an image reference/],
      [['--kubernetes', 'j.yaml', '--k8s-pvc', 'Claim_1'], /--k8s-pvc "Claim_1" is not a PersistentVolumeClaim name/],
      [['--kubernetes', 'j.yaml', '--k8s-parallelism', '0'], /--k8s-parallelism expects an integer from 1 to 65536, got '0'/],
      [['--kubernetes', 'j.yaml', '--k8s-format', 'html'], /--k8s-format "html": replay prints table, json, jsonl, tsv/],
      [['--kubernetes', 'j.yaml', '--k8s-mount', 'data'], /--k8s-mount "data" is not an absolute path/],
      [['--kubernetes', 'j.yaml', '--k8s-mount', '/usr/local'], /mounted at \/usr\/local, inside \/usr, hiding the image's own files/],
      [['--kubernetes', 'j.yaml', '--k8s-mount', join(tmp, 'elsewhere')], /the plan's directory .* is outside .*elsewhere, where the pods mount the claim/],
      [['--kubernetes', 'acl.yaml'], /--kubernetes acl.yaml would overwrite the input acl.yaml/],
      [['--kubernetes', 'mixed-clients.pcap'], /would overwrite the input mixed-clients.pcap/],
      [['--kubernetes', 'plan.json'], /--kubernetes plan.json is also the plan \(-o\)/],
    ];
    for (const [extra, message] of cases) {
      const r = await plan(...extra);
      expect(r.code, extra.join(' ')).toBe(2);
      expect(r.stderr, extra.join(' ')).toMatch(message);
      expect(r.stderr.trim().split('\n'), extra.join(' ')).toHaveLength(1);
      expect(existsSync('j.yaml')).toBe(false);
    }
    expect(readFileSync('acl.yaml', 'utf8')).toBe(readFileSync(join(REPO_ROOT, 'examples', 'windows-only-return.yaml'), 'utf8'));
    // The plan outside the mount, so the pods would not see it.
    const out = await runMain(['plan', 'mixed-clients.pcap', ...CANDIDATES, '--shards', '2', '-o', join(tmp, 'outside.json'), '--kubernetes', 'j.yaml']);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/the plan .*outside\.json is outside .*, where the pods mount the claim aclreplay-data, so they would not see it/);
  });
});

describe('examples/kubernetes/aclreplay-shards.yaml', () => {
  const dir = join(REPO_ROOT, 'examples', 'kubernetes');
  const text = readFileSync(join(dir, 'aclreplay-shards.yaml'), 'utf8');

  it('parses, passes the Job schema, and has one index per shard of its plan, as its header says', () => {
    const { work, merge } = jobsOf(text);
    const header = /^# Kubernetes Jobs for the aclreplay shard plan (sha256:[0-9a-f]{64}) \((\d+) shards?\)/.exec(text);
    expect(header).not.toBeNull();
    const made = /^# Made by: (aclreplay plan .*)$/m.exec(text)![1]!;
    expect(made).toContain(`--shards ${header![2]}`);
    const plan = readPlan(join(dir, 'plan.json'));
    expect(plan.digest).toBe(header![1]);
    expect(work.spec.completions).toBe(Number(header![2]));
    expect(work.spec.completions).toBe(plan.shards.length);
    for (const job of [work, merge]) {
      expect(job.metadata.annotations?.['aclreplay/plan-digest']).toBe(plan.digest);
      expect(job.spec.template.spec.containers[0]!.workingDir).toBe(plan.cwd);
    }
  });

  it('is what the renderer makes for its plan, byte for byte', () => {
    const plan = readPlan(join(dir, 'plan.json'));
    const made = /^# Made by: (.*)\n# in (.*)\.$/m.exec(text)!;
    const file = /--kubernetes (\S+)/.exec(made[1]!)![1]!;
    const planPath = `${plan.cwd}/${/ -o (\S+)/.exec(made[1]!)![1]!}`;
    const options = { image: K8S_DEFAULTS.image, claim: K8S_DEFAULTS.claim, parallelism: K8S_DEFAULTS.parallelism, format: K8S_DEFAULTS.format };
    const layout = kubernetesLayout(plan, planPath, [], options);
    expect(renderKubernetes(plan, layout, options, { command: made[1]!, cwd: made[2]!, file })).toBe(text);
  });
});
