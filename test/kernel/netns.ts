/**
 * Network namespaces for the kernel lab and its tests: names always start with `ack-` and carry the creating
 * process's pid (`ack-<pid base36>-<role>`), every namespace created is deleted on exit (also on an exception or a
 * signal), and namespaces left by a process that no longer exists are swept before new ones are made. Only
 * processes inside our own namespaces are ever killed, by pid.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Every namespace of ours starts with this. */
export const NS_PREFIX = 'ack-';
const OWNER = process.pid.toString(36);

const created = new Set<string>();
let hooked = false;

/** Output of a command that succeeded; throws with its stderr otherwise. */
export function run(cmd: string, args: string[], opts: { input?: string; allowFail?: boolean } = {}): string {
  const r: SpawnSyncReturns<string> = spawnSync(cmd, args, { encoding: 'utf8', input: opts.input, maxBuffer: 64 << 20 });
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0 && !opts.allowFail) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout;
}

/** Run a command inside a namespace. */
export function nsRun(ns: string, cmd: string, args: string[], opts: { input?: string; allowFail?: boolean } = {}): string {
  return run('ip', ['netns', 'exec', ns, cmd, ...args], opts);
}

function which(tool: string): string | null {
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':').concat(['/usr/sbin', '/sbin'])) {
    if (dir && existsSync(`${dir}/${tool}`)) return `${dir}/${tool}`;
  }
  return null;
}

/** Why kernel tests cannot run here (not root, no `ip netns`, a missing tool), or null when they can. */
export function labUnavailable(tools: string[] = ['ip', 'iptables', 'ip6tables', 'iptables-restore', 'ip6tables-restore', 'tcpdump']): string | null {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'not root';
  for (const t of tools) if (which(t) === null) return `${t} not installed`;
  const probe = `${NS_PREFIX}${OWNER}-probe`;
  const r = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (r.status !== 0) return `ip netns fails: ${(r.stderr || String(r.error ?? '')).trim()}`;
  spawnSync('ip', ['netns', 'del', probe]);
  return null;
}

/** True when a tool is on PATH (or in /usr/sbin, /sbin). */
export function haveTool(tool: string): boolean {
  return which(tool) !== null;
}

function listNamespaces(): string[] {
  const out = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((n) => n.startsWith(NS_PREFIX));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Delete one namespace of ours, after killing the processes still running in it. */
export function deleteNamespace(ns: string): void {
  if (!ns.startsWith(NS_PREFIX)) throw new Error(`refusing to delete ${ns}: not an ${NS_PREFIX} namespace`);
  const pids = (spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout ?? '').split(/\s+/).filter(Boolean).map(Number);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  spawnSync('ip', ['netns', 'del', ns]);
  created.delete(ns);
}

/** Delete every namespace this process created. */
export function deleteOwnNamespaces(): void {
  for (const ns of [...created]) deleteNamespace(ns);
}

/** Delete `ack-<pid>-*` namespaces whose creating process is gone (an earlier run that was killed). */
export function sweepStaleNamespaces(): string[] {
  const swept: string[] = [];
  for (const ns of listNamespaces()) {
    const m = /^ack-([0-9a-z]+)-/.exec(ns);
    if (!m) continue;
    const pid = parseInt(m[1]!, 36);
    if (pid === process.pid || alive(pid)) continue;
    deleteNamespace(ns);
    swept.push(ns);
  }
  return swept;
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', deleteOwnNamespaces);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      deleteOwnNamespaces();
      process.kill(process.pid, sig);
    });
  }
}

/** The namespace name for a role in this process (`ack-<pid>-<role>`). */
export function namespaceName(role: string): string {
  return `${NS_PREFIX}${OWNER}-${role}`;
}

/** Create a namespace with lo up and the given sysctls (per-namespace ones only); registered for deletion on exit. */
export function createNamespace(role: string, sysctls: string[] = []): string {
  hookExit();
  const ns = namespaceName(role);
  if (listNamespaces().includes(ns)) deleteNamespace(ns);
  run('ip', ['netns', 'add', ns]);
  created.add(ns);
  run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  if (sysctls.length > 0) nsRun(ns, 'sysctl', ['-q', '-w', ...sysctls]);
  return ns;
}

/** A veth pair with one end in each namespace (created inside them: nothing appears on the host). */
export function veth(nsA: string, ifA: string, nsB: string, ifB: string): void {
  run('ip', ['-n', nsA, 'link', 'add', ifA, 'type', 'veth', 'peer', 'name', ifB, 'netns', nsB]);
}

/** `ip -n ns -batch -` over several commands (one line each). */
export function ipBatch(ns: string, lines: string[]): void {
  if (lines.length > 0) run('ip', ['-n', ns, '-batch', '-'], { input: `${lines.join('\n')}\n` });
}

/** Turn off TX checksum offload on interfaces (real checksums in captures), when ethtool is installed. */
export function txChecksumOff(ns: string, ifaces: string[]): void {
  if (!haveTool('ethtool')) return;
  for (const i of ifaces) nsRun(ns, 'ethtool', ['-K', i, 'tx', 'off'], { allowFail: true });
}

/**
 * Wait until no IPv6 address of the namespace is tentative. Addresses added before the link is ready stay tentative
 * until it is (linkwatch takes up to a second), and a neighbour solicitation for a tentative address goes unanswered:
 * the first packets to the host would wait a second for the next one.
 */
export function waitIpv6Ready(ns: string, timeoutMs = 5000): void {
  const until = Date.now() + timeoutMs;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  while (run('ip', ['-n', ns, '-6', 'addr', 'show', 'tentative']).trim() !== '') {
    if (Date.now() > until) throw new Error(`IPv6 addresses of ${ns} still tentative after ${timeoutMs} ms`);
    Atomics.wait(pause, 0, 0, 50);
  }
}

/** One ping per (namespace, address), until answered or 3 s; without ping, a 2 s pause does the same. */
export function settleNeighbours(pairs: [string, string][]): void {
  if (!haveTool('ping')) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2000);
    return;
  }
  for (const [ns, addr] of pairs) nsRun(ns, 'ping', [addr.includes(':') ? '-6' : '-4', '-c', '1', '-w', '3', '-q', addr], { allowFail: true });
}
