#!/usr/bin/env node
// `npm start`: the main job on the bundled capture, as a user would run it from a fresh clone: describe the
// capture, show its clients and what failed, then replay it against two candidate ACLs for the server subnet
// (the classic "32768-65535 only" return rule, and the fixed one) with the dropped-return diagnosis.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
if (!existsSync(cli)) {
  process.stderr.write('aclreplay is not built yet: run `npm ci` (or `npm run build`) first\n');
  process.exit(70);
}
const capture = 'captures/mixed-clients.pcap';
const steps = [
  ['info', capture],
  ['clients', capture],
  ['diagnose', 'captures/return-drop.pcap'],
  ['replay', capture, '--acl', 'examples/classic-return.yaml', '--acl', 'examples/fixed-return.yaml', '--subnet', '10.0.2.0/24', '--subnet', 'fd00:2::/64'],
];

for (const args of steps) {
  process.stdout.write(`\n$ aclreplay ${args.join(' ')}\n`);
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 70);
}
