/**
 * The processes the kernel tests run inside namespaces: tcpdump, the server agent and the client agent
 * (./agents/*.mjs, plain Node so they run without a build). Each is started by pid and stopped by that pid only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

// test/kernel/agents beside this file, or from dist/kernel-lab/test/kernel when compiled by scripts/kernel-lab.sh.
const AGENTS = [resolve(import.meta.dirname, 'agents'), resolve(import.meta.dirname, '..', '..', '..', '..', 'test', 'kernel', 'agents')].find((d) => existsSync(join(d, 'client.mjs')))!;

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A running tcpdump writing a pcap. */
export interface Capture {
  child: ChildProcess;
  file: string;
  exited: Promise<void>;
  /** tcpdump's stderr so far (its statistics once it has exited). */
  stderr(): string;
}

/** tcpdump on `iface` (an interface or nflog:<group>) inside a namespace; resolves once it is listening. */
export async function startCapture(ns: string, iface: string, file: string): Promise<Capture> {
  // --immediate-mode: every packet is handed over at once (else the last ring block is lost when tcpdump stops).
  // It gives a ring of snaplen-sized frames: -s 4096 (the lab's frames are at most 1514 bytes) in -B 16 MiB makes
  // room for 4096 packets, so hundreds of parallel attempts are not dropped by the capture itself.
  // No -U: the file is written in large blocks and flushed when tcpdump exits on SIGINT.
  const child = spawn('ip', ['netns', 'exec', ns, 'tcpdump', '-i', iface, '-n', '--immediate-mode', '-B', '16384', '-s', '4096', '-Z', 'root', '-w', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  await new Promise<void>((res, rej) => {
    const t = setTimeout(() => rej(new Error(`tcpdump on ${ns} ${iface} did not start: ${err}`)), 10000);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('listening on')) {
        clearTimeout(t);
        res();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(t);
      rej(new Error(`tcpdump on ${ns} ${iface} exited ${code}: ${err.trim()}`));
    });
  });
  return { child, file, exited, stderr: () => err };
}

/** Stop a capture (SIGINT flushes the file), wait for tcpdump to exit, and return its packet counts. */
export async function stopCapture(c: Capture): Promise<{ captured: number; droppedByKernel: number }> {
  c.child.kill('SIGINT');
  await Promise.race([c.exited, sleep(5000).then(() => c.child.kill('SIGKILL'))]);
  const n = (what: string) => Number(new RegExp(`(\\d+) packets? ${what}`).exec(c.stderr())?.[1] ?? 0);
  return { captured: n('captured'), droppedByKernel: n('dropped by kernel') };
}

/** One attempt of a client plan (see agents/client.mjs). */
export interface PlannedAttempt {
  id: string;
  proto: 'tcp' | 'udp';
  dst: string;
  dport: number;
  src?: string | null;
  sport?: number;
}

export interface ClientPlan {
  attempts: PlannedAttempt[];
  tcpTimeoutMs: number;
  udpTimeoutMs: number;
  concurrency: number;
  spacingMs: number;
}

/** What the client agent reports for one attempt. */
export interface ClientReport {
  id: string;
  seq: number;
  proto: 'tcp' | 'udp';
  localPort: number | null;
  outcome: string;
  startMs: number;
  elapsedMs: number;
  seenAddr?: string;
  seenPort?: number;
}

/** Run the client agent in a namespace with `plan` (written to `planFile`); resolves with its reports. */
export function runClientAgent(ns: string, plan: ClientPlan, planFile: string): Promise<ClientReport[]> {
  writeFileSync(planFile, JSON.stringify(plan));
  return new Promise((res, rej) => {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, join(AGENTS, 'client.mjs'), planFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => {
      if (code !== 0) return rej(new Error(`client agent in ${ns} exited ${code}: ${err.trim()}`));
      res(out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as ClientReport));
    });
  });
}

/** A running server agent and the accepts/datagrams it has reported so far. */
export interface ServerAgent {
  events: Record<string, unknown>[];
  stop(): Promise<void>;
}

/** Start the server agent in a namespace, listening on every host for the given ports; resolves once it listens. */
export async function startServerAgent(ns: string, hosts: string[], tcpPorts: number[], udpPorts: number[]): Promise<ServerAgent> {
  // Hosts and ports apart (not every pair): thousands of ports stay well under the argument size limit.
  const cfg = { hosts, tcp: tcpPorts, udp: udpPorts };
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, join(AGENTS, 'server.mjs'), JSON.stringify(cfg)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const events: Record<string, unknown>[] = [];
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let buf = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  await new Promise<void>((res, rej) => {
    const t = setTimeout(() => rej(new Error(`server agent did not start: ${err}`)), 10000);
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const e = JSON.parse(buf.slice(0, nl)) as Record<string, unknown>;
        buf = buf.slice(nl + 1);
        if (e.ready) {
          clearTimeout(t);
          res();
        } else events.push(e);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(t);
      rej(new Error(`server agent exited ${code}: ${err.trim()}`));
    });
  });
  return {
    events,
    async stop() {
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(3000).then(() => child.kill('SIGKILL'))]);
    },
  };
}
