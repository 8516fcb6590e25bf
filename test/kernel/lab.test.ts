/**
 * The kernel lab against aclreplay (the built CLI), with the server's own kernel enforcing each ACL:
 * (a) under examples/classic-return.yaml, with ports spread over every client's range, the kernel fails exactly
 *     the connections replay predicts, connection by connection;
 * (b) with every fix replay proposed applied (its aws ec2 commands applied EC2's way, read back by our importer,
 *     translated, enforced), every client connects from every probed port of its range, ports it binds and ports
 *     its kernel (or NAT) picks;
 * (c) under an ACL covering part of the ranges, the share of each client's independent kernel-chosen attempts that
 *     fail is within 5 points of the diagnosis's failureProbability, with enough attempts that 5 points is at least
 *     three standard errors; Linux TCP failures come in runs, UDP and the NAT's random ports do not;
 * (d) with the ACL `aclreplay suggest` proposes from a recording, every connection of the recording works again
 *     from the same ports, and probes to ports the recording never used are denied.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAcls, parseAclText } from '../../src/acl/load.js';
import type { Acl } from '../../src/acl/model.js';
import { runCli } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/corpus.js';
import { applyCommands } from '../helpers/aws-commands.js';
import { KernelLab, SERVER, type Attempt, type AttemptSpec, type RunResult } from './lab.js';
import { formatFailureShares, measureFailureShare } from './measure.js';
import { labUnavailable } from './netns.js';

const why = labUnavailable();
if (why) process.stderr.write(`SKIP kernel lab tests: ${why}\n`);

const CLASSIC = join(REPO_ROOT, 'examples', 'classic-return.yaml');

/** Return traffic allowed to 50000-65535 only: part of the linux, windows and NAT ranges, none of windows-legacy. */
const PARTIAL = `
id: partial-return
inbound:
  - { rule: 100, proto: tcp, cidr: 0.0.0.0/0, action: allow }
  - { rule: 110, proto: udp, cidr: 0.0.0.0/0, action: allow }
outbound:
  - { rule: 100, proto: tcp, ports: 50000-65535, cidr: 0.0.0.0/0, action: allow }
  - { rule: 110, proto: udp, ports: 50000-65535, cidr: 0.0.0.0/0, action: allow }
`;

/** The default network ACL AWS creates: everything allowed both ways. */
const ALLOW_ALL = `
id: allow-all
inbound:
  - { rule: 100, proto: all, cidr: 0.0.0.0/0, action: allow }
  - { rule: 101, proto: all, cidr: "::/0", action: allow }
outbound:
  - { rule: 100, proto: all, cidr: 0.0.0.0/0, action: allow }
  - { rule: 101, proto: all, cidr: "::/0", action: allow }
`;

interface ReplayRecord {
  proto: string;
  client: string;
  clientPort: number;
  server: string;
  serverPort: number;
  outcome: string;
}
interface FixJson {
  id: string;
  verified: boolean;
  changes: { command: string }[];
}
interface DiagnosisJson {
  code: string;
  protocol?: string;
  fix?: FixJson | null;
  clients?: { host: string; failureProbability: number; failurePattern: string; portModel: string }[];
}

const SUBNET_ARGS = ['--subnet', SERVER.subnets[0], '--subnet', SERVER.subnets[1]];

/** The replay report of a capture (replay -F json), its scenarios' diagnoses. */
function replayDiagnoses(pcap: string, acl: string): DiagnosisJson[] {
  const r = runCli(['replay', pcap, '--acl', acl, ...SUBNET_ARGS, '-F', 'json', '-j', '1']);
  expect(r.status, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { acls: { diagnoses: DiagnosisJson[] }[] }).acls.flatMap((a) => a.diagnoses);
}

/** Every fix the diagnoses carry (each once). */
function fixesOf(diagnoses: DiagnosisJson[]): FixJson[] {
  return diagnoses.flatMap((d) => (d.fix ? [d.fix] : []));
}

const failedOf = (run: RunResult) => run.attempts.filter((a) => !a.ok).map((a) => `${a.id} ${a.client} ${a.proto}/IPv${a.family} ${a.sourcePort} -> ${a.dport}: ${a.outcome}`);

describe.skipIf(why !== null)('kernel lab', () => {
  let lab: KernelLab;
  let out = '';
  const lines: string[] = [];
  const t0 = Date.now();
  let classicRun: RunResult | null = null;

  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'ack-lab-'));
    lab = KernelLab.start({ log: (l) => lines.push(l) });
  });

  afterAll(() => {
    lab?.stop();
    lines.push(`kernel lab tests: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    process.stderr.write(`${lines.join('\n')}\n`);
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it('(a) classic-return: the kernel fails exactly the connections replay predicts, connection by connection', async () => {
    lab.applyAcl(loadAcls(CLASSIC)[0]!);
    const attempts = lab.bindAttempts({
      services: [
        { proto: 'tcp', dport: 80 },
        { proto: 'tcp', dport: 80, family: 6 },
        { proto: 'tcp', dport: 443 },
        { proto: 'udp', dport: 53 },
        { proto: 'udp', dport: 53, family: 6 },
      ],
      perService: 24,
      seed: 13,
    });
    const run = await lab.run({ name: 'classic-bind', outDir: out, attempts });
    expect(run.problems).toEqual([]);
    expect(run.attempts).toHaveLength(attempts.length);

    const r = runCli(['replay', run.pcap, '--acl', CLASSIC, ...SUBNET_ARGS, '-F', 'jsonl']);
    expect(r.status, r.stderr).toBe(0);
    const records = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as ReplayRecord);
    const key = (proto: string, client: string, port: number | null, server: string, sport: number) => `${proto} ${client} ${port} ${server} ${sport}`;
    const byKey = new Map<string, ReplayRecord[]>();
    for (const x of records) {
      const k = key(x.proto, x.client, x.clientPort, x.server, x.serverPort);
      byKey.set(k, [...(byKey.get(k) ?? []), x]);
    }
    const mismatches: string[] = [];
    const seen = new Set<string>();
    for (const a of run.attempts) {
      const k = key(a.proto, a.sourceAddress, a.sourcePort, a.server, a.dport);
      seen.add(k);
      const rec = byKey.get(k) ?? [];
      if (rec.length !== 1) {
        mismatches.push(`${a.id} ${k}: ${rec.length} replay records`);
        continue;
      }
      const predicted = rec[0]!.outcome;
      if ((predicted !== 'ok') !== !a.ok) mismatches.push(`${a.id} ${k}: kernel ${a.outcome}, replay ${predicted}`);
      // What failed, failed where replay says: the SYN or request at ingress for 443, the reply at egress otherwise.
      if (!a.ok) {
        const where = a.dport === 443 ? ['forward-blocked', 'both-blocked'] : ['return-blocked'];
        if (!where.includes(predicted)) mismatches.push(`${a.id} ${k}: replay says ${predicted}`);
        const rule = a.dport === 443 ? 'nacl:ingress:*' : 'nacl:egress:*';
        if (a.drops.join() !== rule) mismatches.push(`${a.id} ${k}: the kernel's drops ${a.drops.join() || 'none'}, expected ${rule}`);
      } else if (a.drops.length > 0) mismatches.push(`${a.id} ${k}: connected, yet NFLOG logged ${a.drops.join()}`);
    }
    expect(mismatches).toEqual([]);
    // Nothing in the capture that replay judged as a TCP/UDP connection is foreign to the attempts.
    const extra = records.filter((x) => (x.proto === 'tcp' || x.proto === 'udp') && !seen.has(key(x.proto, x.client, x.clientPort, x.server, x.serverPort)));
    expect(extra).toEqual([]);

    // The run exercised both sides of the ACL for every kind of client (not a vacuous "all failed").
    const tally = (f: (a: Attempt) => boolean) => run.attempts.filter(f).length;
    expect(tally((a) => a.client === 'linux' && a.dport === 80 && a.ok)).toBe(48);
    expect(tally((a) => a.dport === 443 && !a.ok)).toBe(tally((a) => a.dport === 443));
    expect(tally((a) => a.client === 'windows-legacy' && a.dport !== 443 && !a.ok)).toBe(48);
    const natTcp = run.attempts.filter((a) => a.client === 'nat' && a.dport === 80);
    expect(natTcp.some((a) => a.ok) && natTcp.some((a) => !a.ok)).toBe(true);
    // Bind-mode ports cover each client's range end to end.
    const linuxPorts = run.attempts.filter((a) => a.client === 'linux').map((a) => a.sourcePort!);
    expect(Math.min(...linuxPorts)).toBeLessThan(32768 + 1200);
    expect(Math.max(...linuxPorts)).toBeGreaterThan(60999 - 1200);
    classicRun = run;
  }, 90_000);

  /** Apply the fixes of `diagnoses` to `acl` through their aws ec2 commands, enforce, probe every client's range. */
  async function probeFixed(name: string, acl: Acl, diagnoses: DiagnosisJson[], seed: number, families: (4 | 6)[]): Promise<void> {
    const fixes = fixesOf(diagnoses);
    expect(fixes.length).toBeGreaterThan(0);
    for (const f of fixes) expect(f.verified, f.id).toBe(true);
    const commands = fixes.flatMap((f) => f.changes.map((c) => c.command));
    lines.push(`${name}: ${commands.length} fix command${commands.length === 1 ? '' : 's'}:\n  ${commands.join('\n  ')}`);
    const fixed = applyCommands(acl, commands);
    lab.applyAcl(fixed);
    // The services the ACL lets in, from ports spread over every client's range (its ends included), and as many
    // connections with ports the kernel (or the NAT) picks.
    const services = families.flatMap((family) => [
      { proto: 'tcp' as const, dport: 80, family },
      { proto: 'udp' as const, dport: 53, family },
    ]);
    // Two runs, so a port the kernel picks never collides with one an attempt binds.
    const bind = lab.bindAttempts({ services, perService: 32, seed, edges: true });
    const kernel = lab.kernelAttempts({ services: services.filter((s) => s.family === 4), repeat: 40 });
    const runs = [await lab.run({ name: `${name}-bind`, outDir: out, attempts: bind }), await lab.run({ name: `${name}-kernel`, outDir: out, attempts: kernel })];
    for (const [run, planned] of [[runs[0]!, bind], [runs[1]!, kernel]] as const) {
      expect(run.problems).toEqual([]);
      expect(run.attempts).toHaveLength(planned.length);
      expect(failedOf(run)).toEqual([]);
      expect(run.drops).toEqual({});
    }
    const natKernel = runs[1]!.attempts.filter((a) => a.client === 'nat' && a.proto === 'tcp');
    lines.push(`${name}: ${bind.length + kernel.length} attempts, all connected; NAT TCP kernel-mode ports ${Math.min(...natKernel.map((a) => a.sourcePort!))}-${Math.max(...natKernel.map((a) => a.sourcePort!))}`);
  }

  it('(b) classic-return with every proposed fix applied: every client connects from every probed port', async () => {
    expect(classicRun, 'the classic-return run of (a)').not.toBeNull();
    const diagnoses = replayDiagnoses(classicRun!.pcap, CLASSIC);
    // Windows XP (1025-5000) and the NAT (1024-65535) need TCP and UDP opened; both fixes are there.
    expect(fixesOf(diagnoses).map((f) => f.id).sort()).toEqual(['classic-return:egress:tcp:ipv4', 'classic-return:egress:udp:ipv4']);
    await probeFixed('classic-fixed', loadAcls(CLASSIC)[0]!, diagnoses, 17, [4, 6]);
  }, 90_000);

  it('(c) failure share per client within 5 points of failureProbability; bursts; then (b) for its fixes', async () => {
    const [acl] = parseAclText(PARTIAL, 'partial.yaml');
    const m = await measureFailureShare(lab, { acl: acl!, outDir: out, protos: ['tcp', 'udp'], spreadDestinations: 1200, sequenceDestinations: 3, sequenceLength: 40, tcpTimeoutMs: 800, udpTimeoutMs: 600, concurrency: 256 });
    lines.push(formatFailureShares(m.clients));
    expect(m.run.problems).toEqual([]);
    const partialFile = join(out, 'partial.yaml');
    (await import('node:fs')).writeFileSync(partialFile, PARTIAL);
    const diagnoses = replayDiagnoses(m.run.pcap, partialFile);
    const predicted = (host: string, proto: string) => {
      for (const d of diagnoses) {
        if ((d.code !== 'RETURN_PORT_NOT_ALLOWED' && d.code !== 'RANGE_PARTIALLY_COVERED') || d.protocol !== proto) continue;
        const c = d.clients?.find((x) => x.host === host);
        if (c) return c;
      }
      return null;
    };
    const table: string[] = [];
    for (const row of m.clients) {
      const host = lab.client(row.client).seenIpv4;
      const p = predicted(host, row.proto);
      expect(p, `${row.client} ${row.proto}: a diagnosis with its failureProbability`).not.toBeNull();
      const n = row.spread.attempts;
      const observed = row.spread.share;
      const se = Math.sqrt((p!.failureProbability * (1 - p!.failureProbability)) / n);
      table.push(`${row.client} ${row.proto}: observed ${(100 * observed).toFixed(1)}% of ${n} independent attempts, failureProbability ${(100 * p!.failureProbability).toFixed(1)}% (${p!.portModel}, ${p!.failurePattern}); 3 standard errors = ${(300 * se).toFixed(1)} points`);
      // Enough independent attempts for a 5-point tolerance to mean something: at least three standard errors.
      expect(3 * se, `${row.client} ${row.proto}: too few attempts for 5 points`).toBeLessThanOrEqual(0.05);
      expect(Math.abs(observed - p!.failureProbability), `${row.client} ${row.proto}`).toBeLessThanOrEqual(0.05);
    }
    lines.push(`failure share vs failureProbability (ACL partial-return):\n  ${table.join('\n  ')}`);
    const row = (client: string, proto: string) => m.clients.find((c) => c.client === client && c.proto === proto)!;
    // Linux TCP connect(): consecutive connections to one destination walk up in small even steps, so they fail
    // together; UDP and the NAT's random mapping pick every port afresh. The diagnosis says the same.
    expect(row('linux', 'tcp').bursts.bursty).toBe(true);
    // A sequence (about 40 steps of ~10 ports) changes outcome only where it crosses the ACL's edge at 50000 or wraps
    // from the range's top (60999, allowed) to its bottom (32768, denied): at most twice, and it does so in about
    // 1 run in 12 (3 sequences over a 28 k-port range). Independent picks would change dozens of times.
    const linuxTcp = row('linux', 'tcp').bursts;
    expect(linuxTcp.outcomeChanges).toBeLessThanOrEqual(2 * 3);
    expect(linuxTcp.outcomeChanges).toBeLessThan(linuxTcp.expectedChanges / 4);
    expect(row('linux', 'tcp').bursts.medianStep).toBeLessThanOrEqual(16);
    expect(row('linux', 'tcp').lowParityShare).toBeGreaterThan(0.95);
    expect(row('windows-legacy', 'tcp').lowParityShare).toBeGreaterThan(0.95);
    expect(row('linux', 'udp').bursts.bursty).toBe(false);
    expect(row('nat', 'tcp').bursts.bursty).toBe(false);
    expect(row('nat', 'tcp').bursts.medianStep).toBeGreaterThan(1000);
    expect(predicted(lab.client('linux').seenIpv4, 'tcp')).toMatchObject({ failurePattern: 'bursty', portModel: 'parity' });
    expect(predicted(lab.client('linux').seenIpv4, 'udp')).toMatchObject({ failurePattern: 'independent', portModel: 'uniform' });
    expect(predicted(lab.client('nat').seenIpv4, 'tcp')).toMatchObject({ failurePattern: 'independent' });

    // (The ACL has IPv4 rules only, and the run was IPv4.)
    await probeFixed('partial-fixed', acl!, diagnoses, 23, [4]);
  }, 120_000);

  it('(d) a suggested ACL: every connection of the recording works again from its ports; unused ports are denied', async () => {
    const [allowAll] = parseAclText(ALLOW_ALL, 'allow-all.yaml');
    lab.applyAcl(allowAll!);
    const services = [
      { proto: 'tcp' as const, dport: 80, family: 4 as const },
      { proto: 'tcp' as const, dport: 80, family: 6 as const },
      { proto: 'tcp' as const, dport: 443, family: 4 as const },
      { proto: 'udp' as const, dport: 53, family: 4 as const },
      { proto: 'udp' as const, dport: 53, family: 6 as const },
    ];
    const specs = lab.bindAttempts({ services, perService: 12, seed: 41, edges: true });
    const recording = await lab.run({ name: 'recording', outDir: out, attempts: specs });
    expect(recording.problems).toEqual([]);
    expect(failedOf(recording)).toEqual([]);

    const s = runCli(['suggest', recording.pcap, ...SUBNET_ARGS, '-j', '1']);
    expect(s.status, s.stderr).toBe(0);
    lines.push(`suggest on the recording:\n${s.stderr.trimEnd()}`);
    const suggested = parseAclText(s.stdout, 'suggested.json');
    expect(suggested).toHaveLength(1);
    lab.applyAcl(suggested[0]!);

    // The same attempts from the same ports (TIME_WAIT reuse allowed a second after the recording).
    lab.allowTimeWaitReuse();
    await new Promise((r) => setTimeout(r, 1100));
    const again = await lab.run({ name: 'again', outDir: out, attempts: specs });
    expect(again.problems).toEqual([]);
    expect(failedOf(again)).toEqual([]);
    const tuple = (a: Attempt) => `${a.client} ${a.proto}/IPv${a.family} ${a.sourceAddress}:${a.sourcePort} -> ${a.dport}`;
    const before = new Set(recording.attempts.filter((a) => a.client !== 'nat').map(tuple));
    expect(new Set(again.attempts.filter((a) => a.client !== 'nat').map(tuple))).toEqual(before);

    // Ports the recording never used, from clients that used others: denied at ingress by the default deny.
    const unused: AttemptSpec[] = [
      { client: 'linux', proto: 'tcp', family: 4, dport: 8080 },
      { client: 'linux', proto: 'tcp', family: 6, dport: 8443 },
      { client: 'windows', proto: 'udp', family: 4, dport: 5353 },
      { client: 'nat', proto: 'tcp', family: 4, dport: 22 },
      { client: 'windows-legacy', proto: 'udp', family: 4, dport: 123 },
    ];
    const probe = await lab.run({ name: 'unused', outDir: out, attempts: unused, tcpTimeoutMs: 1000, udpTimeoutMs: 800 });
    expect(probe.problems).toEqual([]);
    expect(probe.attempts.map((a) => [a.client, a.dport, a.ok, a.drops.join()])).toEqual(unused.map((u) => [u.client, u.dport, false, 'nacl:ingress:*']));
  }, 90_000);
});
