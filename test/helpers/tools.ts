/** Finds optional external tools (tshark, tcpdump, chromium, cc); tests using them skip with a message when absent. */
import { spawnSync } from 'node:child_process';

const cache = new Map<string, boolean>();

export function hasTool(cmd: string): boolean {
  if (!cache.has(cmd)) {
    const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
    cache.set(cmd, r.status === 0);
  }
  return cache.get(cmd)!;
}

/** Print once why a tool-dependent test is skipped. */
export function skipNote(cmd: string, what: string): void {
  if (!hasTool(cmd)) process.stderr.write(`SKIP ${what}: ${cmd} not installed (.ci/run installs it with apt-get)\n`);
}
