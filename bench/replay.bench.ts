/**
 * `replay` end to end on the generated capture with 1 and 4 candidate ACLs, beside `flows` alone with the same -j;
 * peak memory at 2 M connections; the fixed cost of a chunk (many small chunks against the default ones).
 */
import { mkdirSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type BenchSuite, type BenchContext, REPO_ROOT, ensureOutDir, commandSeconds, peakRss } from './harness.js';
import { standardCapture, twoMillionConnectionCapture } from './captures.js';

const CLI = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
const CORPUS_DIR = process.env.ACLREPLAY_CORPUS ?? join(REPO_ROOT, '..', 'shared', 'corpus');

/** Candidate ACLs for the generated capture's servers (10.2.0.0/16): return rules of the usual shapes. */
export function candidates(dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const returns = ['32768-65535', '1024-65535', '49152-65535', '32768-60999'];
  return returns.map((ports, i) => {
    const f = join(dir, `candidate-${i}.yaml`);
    writeFileSync(
      f,
      `acls:
  - id: candidate-${i}
    inbound:
      - { rule: 100, proto: tcp, ports: 443, cidr: 0.0.0.0/0, action: allow }
      - { rule: 110, proto: tcp, ports: 80, cidr: 0.0.0.0/0, action: allow }
      - { rule: 120, proto: tcp, ports: 22, cidr: 10.1.0.0/16, action: allow }
      - { rule: 130, proto: tcp, ports: 5432, cidr: 10.1.0.0/16, action: allow }
      - { rule: 140, proto: tcp, ports: 8080, cidr: 0.0.0.0/0, action: allow }
      - { rule: 150, proto: udp, ports: 53, cidr: 0.0.0.0/0, action: allow }
      - { rule: 160, proto: icmp, icmp: { type: 8, code: -1 }, cidr: 0.0.0.0/0, action: allow }
      - { rule: 200, proto: tcp, ports: 443, cidr: "::/0", action: allow }
      - { rule: 210, proto: tcp, ports: 80, cidr: "::/0", action: allow }
      - { rule: 220, proto: udp, ports: 53, cidr: "::/0", action: allow }
    outbound:
      - { rule: 100, proto: tcp, ports: ${ports}, cidr: 0.0.0.0/0, action: allow }
      - { rule: 110, proto: udp, ports: ${ports}, cidr: 0.0.0.0/0, action: allow }
      - { rule: 120, proto: icmp, icmp: { type: 0, code: -1 }, cidr: 0.0.0.0/0, action: allow }
      - { rule: 200, proto: tcp, ports: ${ports}, cidr: "::/0", action: allow }
      - { rule: 210, proto: udp, ports: ${ports}, cidr: "::/0", action: allow }
`,
    );
    return f;
  });
}

export const SUBNETS = ['--subnet', '10.2.0.0/16', '--subnet', '2001:db8::a02:0/112'];

export const suite: BenchSuite = {
  name: 'replay',
  async run(ctx: BenchContext) {
    const cap = standardCapture(ctx.quick);
    const n = cap.packets;
    const acls = candidates(join(ensureOutDir(), 'candidates'));
    const all = acls.flatMap((a) => ['--acl', a]);
    const times: Record<string, { flows: number; one: number; four: number }> = {};
    for (const j of ['1', '2']) {
      times[j] = {
        flows: commandSeconds(3, process.execPath, [CLI, 'flows', '-F', 'tsv', '-j', j, cap.file]),
        one: commandSeconds(3, process.execPath, [CLI, 'replay', '-F', 'json', '-j', j, cap.file, '--acl', acls[0]!, ...SUBNETS]),
        four: commandSeconds(2, process.execPath, [CLI, 'replay', '-F', 'json', '-j', j, cap.file, ...all, ...SUBNETS]),
      };
    }
    // The faster -j on this machine for each figure, compared with flows at the same -j.
    const pick = (k: 'one' | 'four') => (times['1']![k] <= times['2']![k] ? '1' : '2');
    for (const [k, label, goal] of [
      ['one', '1 candidate ACL', 1.3],
      ['four', '4 candidate ACLs', 1.5],
    ] as const) {
      const j = pick(k);
      const t = times[j]!;
      ctx.record({
        suite: 'replay',
        name: `\`replay -F json -j ${j}\` with ${label} vs \`flows -j ${j}\``,
        value: n / t[k] / 1e6,
        unit: 'Mpps',
        peer: `aclreplay flows -j ${j}`,
        peerValue: n / t.flows / 1e6,
        ratio: t[k] / t.flows,
        goal: `<= ${goal}x the time of flows`,
        met: t[k] / t.flows <= goal,
        note: `flows ${t.flows.toFixed(2)} s, replay ${t[k].toFixed(2)} s (process start, outcomes and diagnoses included); -j 1: flows ${times['1']!.flows.toFixed(2)} / 1 ACL ${times['1']!.one.toFixed(2)} / 4 ACLs ${times['1']!.four.toFixed(2)} s, -j 2: ${times['2']!.flows.toFixed(2)} / ${times['2']!.one.toFixed(2)} / ${times['2']!.four.toFixed(2)} s; the ratio is time, lower is better`,
      });
    }
    if (!ctx.quick) {
      const big = twoMillionConnectionCapture();
      const bigConns = big.tcpConnections + big.failedConnections + big.udpExchanges + big.icmpEchoes;
      const rss = await peakRss(process.execPath, [CLI, 'replay', '-F', 'json', big.file, '--acl', acls[0]!, ...SUBNETS]);
      ctx.record({
        suite: 'replay',
        name: `peak RSS of \`replay\` with 1 candidate at ${(bigConns / 1e6).toFixed(1)} M connections (${(big.packets / 1e6).toFixed(0)} M packets)`,
        value: rss / 2 ** 20,
        unit: 'MiB',
        goal: '<= 800 MB',
        met: rss <= 800e6,
        note: `${(rss / bigConns).toFixed(0)} B per connection of peak RSS (Node's own ~45 MB included)`,
      });
    }
    // Issue 15: what a chunk costs by itself, on many tiny chunks of a corpus capture against the default chunks.
    const denial = join(CORPUS_DIR, 'pcaps', 'OISF+suricata-verify', 'tests', 'ipv6-evasion', 'ipv6-dos-with-ext-headers-5', 'denial6-5.pcap');
    if (existsSync(denial)) {
      const small = 2048;
      const chunks = Math.ceil(statSync(denial).size / small);
      const tiny = commandSeconds(2, process.execPath, [CLI, 'replay', '-F', 'json', '-j', '2', '--chunk-size', String(small), denial, '--acl', acls[0]!, '--subnet', '::/0']);
      const whole = commandSeconds(2, process.execPath, [CLI, 'replay', '-F', 'json', '-j', '2', denial, '--acl', acls[0]!, '--subnet', '::/0']);
      const perChunk = ((tiny - whole) / chunks) * 1000;
      ctx.record({
        suite: 'replay',
        name: `fixed cost of a chunk: \`replay -j 2 --chunk-size ${small}\` (${chunks} chunks) vs default chunks`,
        value: perChunk,
        unit: 'ms/chunk',
        peer: 'the same replay with default chunks',
        peerValue: whole * 1000,
        goal: '<= 1 ms per chunk',
        met: perChunk <= 1,
        note: `denial6-5.pcap (${(statSync(denial).size / 2 ** 20).toFixed(1)} MiB): ${tiny.toFixed(2)} s in ${chunks} chunks, ${whole.toFixed(2)} s by default`,
      });
    }
  },
};
