/**
 * The kernel lab from the command line (scripts/kernel-lab.sh): enforce an ACL in the server namespace, run
 * bind-mode and/or kernel-mode attempts from every client, write the pcap, the NFLOG pcap and the attempts JSON,
 * and print what it did and the replay command that judges the same capture.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadAcls } from '../../src/acl/load.js';
import { CLIENT_NAMES, KernelLab, SERVER, type AttemptSpec, type ClientName } from './lab.js';
import { labUnavailable } from './netns.js';

const USAGE = `usage: sudo scripts/kernel-lab.sh [--acl FILE[#id]] [--out DIR] [--mode bind|kernel|both] [--per-service N] [--repeat N]
                               [--services tcp:80,tcp:443,udp:53] [--ipv6] [--clients linux,windows,windows-legacy,nat]
  --acl          ACL the server enforces (default examples/classic-return.yaml)
  --out          output directory (default /tmp/kernel-lab)
  --mode         bind: ports spread over each client's range; kernel: connect() picks (default both)
  --per-service  bind-mode attempts per client and service (default 24)
  --repeat       kernel-mode attempts per client and service (default 24)
  --ipv6         also IPv6 attempts from the clients that have IPv6`;

function main(): number {
  const { values } = parseArgs({
    options: {
      acl: { type: 'string', default: resolve('examples', 'classic-return.yaml') },
      out: { type: 'string', default: '/tmp/kernel-lab' },
      mode: { type: 'string', default: 'both' },
      'per-service': { type: 'string', default: '24' },
      repeat: { type: 'string', default: '24' },
      services: { type: 'string', default: 'tcp:80,tcp:443,udp:53' },
      clients: { type: 'string', default: CLIENT_NAMES.join(',') },
      ipv6: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const why = labUnavailable();
  if (why) {
    process.stderr.write(`kernel-lab: cannot run: ${why}\n`);
    return 1;
  }
  const services = values.services!.split(',').flatMap((s) => {
    const [proto, port] = s.split(':');
    if ((proto !== 'tcp' && proto !== 'udp') || !/^\d+$/.test(port ?? '')) throw new Error(`bad service ${s} (tcp:PORT or udp:PORT)`);
    const base = { proto: proto as 'tcp' | 'udp', dport: Number(port) };
    return values.ipv6 ? [{ ...base, family: 4 as const }, { ...base, family: 6 as const }] : [{ ...base, family: 4 as const }];
  });
  const clients = values.clients!.split(',') as ClientName[];
  for (const c of clients) if (!CLIENT_NAMES.includes(c)) throw new Error(`unknown client ${c}`);
  const acls = loadAcls(values.acl!);
  if (acls.length !== 1) throw new Error(`${values.acl} holds ${acls.length} ACLs; pick one with FILE#id`);
  const lab = KernelLab.start();
  const run = async () => {
    try {
      for (const line of lab.applyAcl(acls[0]!)) process.stderr.write(`  ${line}\n`);
      const plans: [string, AttemptSpec[]][] = [];
      if (values.mode === 'bind' || values.mode === 'both') plans.push(['bind', lab.bindAttempts({ clients, services, perService: Number(values['per-service']) })]);
      if (values.mode === 'kernel' || values.mode === 'both') plans.push(['kernel', lab.kernelAttempts({ clients, services, repeat: Number(values.repeat) })]);
      for (const [name, attempts] of plans) {
        const r = await lab.run({ name, outDir: values.out!, attempts });
        process.stdout.write(
          `${name}: ${r.json}\n  compare: node dist/src/cli/main.js replay ${r.pcap} --acl ${values.acl} --subnet ${SERVER.subnets[0]} --subnet ${SERVER.subnets[1]} -F jsonl\n`,
        );
      }
    } finally {
      lab.stop();
    }
  };
  run().catch((e: unknown) => {
    process.stderr.write(`kernel-lab: ${(e as Error).message}\n`);
    process.exitCode = 1;
  });
  return 0;
}

process.exitCode = main();
