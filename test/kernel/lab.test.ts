/**
 * The kernel lab against aclreplay: with examples/classic-return.yaml enforced by the server's own kernel, clients
 * connect from ports spread over their whole ranges; `aclreplay replay` (the built CLI) on the lab's capture must
 * predict exactly the connections the kernel failed. Then the failure-share harness under an ACL that covers part
 * of the ranges, with kernel-chosen ports.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAcls, parseAclText } from '../../src/acl/load.js';
import { runCli } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/corpus.js';
import { KernelLab, SERVER, type Attempt } from './lab.js';
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

interface ReplayRecord {
  proto: string;
  client: string;
  clientPort: number;
  server: string;
  serverPort: number;
  outcome: string;
}

describe.skipIf(why !== null)('kernel lab', () => {
  let lab: KernelLab;
  let out = '';
  const lines: string[] = [];

  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'ack-lab-'));
    lab = KernelLab.start({ log: (l) => lines.push(l) });
  });

  afterAll(() => {
    lab?.stop();
    process.stderr.write(`${lines.join('\n')}\n`);
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it('classic-return: the kernel fails exactly the connections replay predicts, connection by connection', async () => {
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

    const r = runCli(['replay', run.pcap, '--acl', CLASSIC, '--subnet', SERVER.subnets[0], '--subnet', SERVER.subnets[1], '-F', 'jsonl']);
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
  }, 90_000);

  it('failure share and bursts with kernel-chosen ports under an ACL covering part of the ranges', async () => {
    const [acl] = parseAclText(PARTIAL, 'partial.yaml');
    const m = await measureFailureShare(lab, { acl: acl!, outDir: out, protos: ['tcp', 'udp'], spreadDestinations: 300, sequenceDestinations: 3, sequenceLength: 40 });
    lines.push(formatFailureShares(m.clients));
    expect(m.run.problems).toEqual([]);
    const row = (client: string, proto: string) => m.clients.find((c) => c.client === client && c.proto === proto)!;
    // The share of each seen range below 50000 (Linux connect() uses the low end's parity first: the same share).
    const expected: Record<string, number> = {
      linux: (50000 - 32768) / (60999 - 32768 + 1),
      windows: (50000 - 49152) / (65535 - 49152 + 1),
      'windows-legacy': 1,
      nat: (50000 - 1024) / (65535 - 1024 + 1),
    };
    for (const c of m.clients) expect(Math.abs(c.spread.share - expected[c.client]!), `${c.client} ${c.proto}`).toBeLessThan(0.08);
    // Linux TCP connect(): consecutive connections to one destination walk up in small even steps, so they fail
    // together; UDP and the NAT's random mapping pick every port afresh.
    expect(row('linux', 'tcp').bursts.bursty).toBe(true);
    expect(row('linux', 'tcp').bursts.medianStep).toBeLessThanOrEqual(16);
    expect(row('linux', 'tcp').lowParityShare).toBeGreaterThan(0.95);
    expect(row('windows-legacy', 'tcp').lowParityShare).toBeGreaterThan(0.95);
    expect(row('linux', 'udp').bursts.bursty).toBe(false);
    expect(row('nat', 'tcp').bursts.bursty).toBe(false);
    expect(row('nat', 'tcp').bursts.medianStep).toBeGreaterThan(1000);
  }, 90_000);
});
