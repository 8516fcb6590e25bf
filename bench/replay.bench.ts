/** `replay` end to end on the generated capture with 1 and 4 candidate ACLs on 2 workers, beside `flows` alone. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BenchSuite, type BenchContext, REPO_ROOT, ensureOutDir } from './harness.js';
import { standardCapture } from './captures.js';
import { commandSeconds } from './flows.bench.js';

const CLI = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');

/** Candidate ACLs for the generated capture's servers (10.2.0.0/16): return rules of the usual shapes. */
function candidates(dir: string): string[] {
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

export const suite: BenchSuite = {
  name: 'replay',
  async run(ctx: BenchContext) {
    const cap = standardCapture(ctx.quick);
    const n = cap.packets;
    const acls = candidates(join(ensureOutDir(), 'candidates'));
    const subnets = ['--subnet', '10.2.0.0/16', '--subnet', '2001:db8::a02:0/112'];
    const flows = commandSeconds(3, process.execPath, [CLI, 'flows', '-F', 'tsv', '-j', '2', cap.file]);
    const one = commandSeconds(3, process.execPath, [CLI, 'replay', '-F', 'json', '-j', '2', cap.file, '--acl', acls[0]!, ...subnets]);
    const four = commandSeconds(3, process.execPath, [CLI, 'replay', '-F', 'json', '-j', '2', cap.file, ...acls.flatMap((a) => ['--acl', a]), ...subnets]);
    const fourJ1 = commandSeconds(2, process.execPath, [CLI, 'replay', '-F', 'json', '-j', '1', cap.file, ...acls.flatMap((a) => ['--acl', a]), ...subnets]);
    ctx.record({
      suite: 'replay',
      name: '`replay` with 4 candidate ACLs, 2 workers, vs `flows` alone',
      value: n / four / 1e6,
      unit: 'Mpps',
      peer: 'aclreplay flows -j 2',
      peerValue: n / flows / 1e6,
      ratio: four / flows,
      goal: '4 candidates <= 1.5x flows',
      met: four / flows <= 1.5,
      note: `flows ${flows.toFixed(2)} s, replay 1 ACL ${one.toFixed(2)} s, 4 ACLs ${four.toFixed(2)} s (-j 1: ${fourJ1.toFixed(2)} s); the ratio here is time, lower is better`,
    });
    ctx.record({
      suite: 'replay',
      name: '`replay` with 1 candidate ACL end to end, 2 workers',
      value: n / one / 1e6,
      unit: 'Mpps',
      goal: '>= 5 Mpps end to end',
      met: n / one / 1e6 >= 5,
      note: `${n} packets in ${one.toFixed(2)} s including process start, connection outcomes and diagnoses`,
    });
  },
};
