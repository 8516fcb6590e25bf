/**
 * The mirror captures through the built CLI, as a user runs it: `flows` and `replay` on each encapsulation equal the
 * direct twin (with -j 1, and with -j 2 cutting the file into chunks), `--decap none` gives the outer UDP flows,
 * `--vxlan-port` opens VXLAN elsewhere, duplicates are dropped (and said so) unless `--keep-duplicates`, replay notes
 * what a mirror cannot show, and bad values are usage errors.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/corpus.js';

const tmp = mkdtempSync(join(tmpdir(), 'aclreplay-cli-mirror-'));
const M = (f: string) => join(REPO_ROOT, 'captures', 'mirror', f);
const EX = (f: string) => join(REPO_ROOT, 'examples', f);
const SERVER = ['10.1.2.10', 'fd01:2::10'];
const SUBNETS = ['--subnet', '10.1.2.0/24', '--subnet', 'fd01:2::/64'];
const JOBS = [['-j', '1'], ['-j', '2', '--chunk-size', '3000']];

type Rec = Record<string, unknown> & { client: string; server: string; packets: number; clientPackets: number; serverPackets: number; bytes: number; clientBytes: number; serverBytes: number; syn: Record<string, unknown> | null };

function jsonl(args: string[]): { records: Rec[]; stderr: string } {
  const r = runCli(args);
  expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return { records: r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Rec), stderr: r.stderr };
}

const touchesServer = (r: Rec) => SERVER.includes(r.client) || SERVER.includes(r.server);

/** A record as comparable text: no ids, times or sessions; bytes shifted per packet (GWLB's IP payload); the SYN TTL left out where copies differ. */
function normal(r: Rec, o: { bytesPerPacket?: number; synTtl?: boolean } = {}): string {
  const { id: _i, firstTs: _f, lastTs: _l, duration: _d, mirrorSessions: _m, mirrorSessionsMore: _mm, ...rest } = r;
  const k = o.bytesPerPacket ?? 0;
  const x: Record<string, unknown> = { ...rest };
  if ('bytes' in r) Object.assign(x, { bytes: r.bytes + k * r.packets, clientBytes: r.clientBytes + k * r.clientPackets, serverBytes: r.serverBytes + k * r.serverPackets });
  if (o.synTtl === false && r.syn) x.syn = { ...r.syn, ttl: '-' };
  return JSON.stringify(x);
}

const flows = (file: string, extra: string[] = [], o: Parameters<typeof normal>[1] = {}) =>
  jsonl(['flows', '-F', 'jsonl', file, ...extra])
    .records.filter(touchesServer)
    .map((r) => normal(r, o))
    .sort();
const replay = (file: string, extra: string[] = []) =>
  jsonl(['replay', '-F', 'jsonl', file, '--acl', EX('classic-return.yaml'), '--acl', EX('fixed-return.yaml'), ...SUBNETS, ...extra])
    .records.filter(touchesServer)
    .map((r) => normal(r))
    .sort();

describe('flows and replay through the CLI: every mirror capture equals its direct twin', () => {
  const direct = { flows: flows(M('direct.pcap')), gwlbFlows: flows(M('direct.pcap'), [], { bytesPerPacket: -14 }), ttlFree: flows(M('direct.pcap'), [], { synTtl: false }), replay: replay(M('direct.pcap')) };

  for (const [file, want] of [
    ['vxlan.pcap', 'flows'],
    ['vxlan-truncated.pcap', 'flows'],
    ['vxlan-in-geneve.pcap', 'flows'],
    ['geneve-gwlb.pcap', 'gwlbFlows'],
    ['both-ends.pcap', 'ttlFree'],
  ] as const) {
    for (const jobs of JOBS) {
      it(`${file} ${jobs.join(' ')}`, { timeout: 60_000 }, () => {
        expect(flows(M(file), jobs, file === 'both-ends.pcap' ? { synTtl: false } : {})).toEqual(direct[want]);
        expect(replay(M(file), jobs)).toEqual(direct.replay);
      });
    }
  }
});

describe('--decap, --vxlan-port, --keep-duplicates', () => {
  it('--decap none: the outer UDP flows from each session to the target, nothing inside', () => {
    const { records } = jsonl(['flows', '-F', 'jsonl', M('both-ends.pcap'), '--decap', 'none']);
    expect(new Set(records.map((r) => `${r.proto} ${r.server}:${r.serverPort}`))).toEqual(new Set(['udp 192.168.77.2:4789']));
    expect(new Set(records.map((r) => r.client))).toEqual(new Set(['192.168.77.10', '192.168.77.11']));
    expect(records.some((r) => 'mirrorSessions' in r)).toBe(false);
    const info = JSON.parse(runCli(['info', '-F', 'json', M('both-ends.pcap'), '--decap', 'none']).stdout);
    expect([info.tunnels, info.duplicates, info.decoded.udp]).toEqual([[], 0, 373]);
  });

  it('--vxlan-port: VXLAN to another port is UDP until named', () => {
    // vxlan.pcap with every outer UDP destination 4789 rewritten to 8472 (Linux's default VXLAN port).
    const b = Buffer.from(readFileSync(M('vxlan.pcap')));
    for (let p = 24; p + 16 <= b.length; p += 16 + b.readUInt32LE(p + 8)) {
      const f = p + 16;
      if (b.readUInt16BE(f + 12) === 0x0800 && b[f + 23] === 17 && b.readUInt16BE(f + 36) === 4789) b.writeUInt16BE(8472, f + 36);
    }
    const file = join(tmp, 'vxlan-8472.pcap');
    writeFileSync(file, b);
    expect(new Set(jsonl(['flows', '-F', 'jsonl', file]).records.map((r) => `${r.proto} ${r.serverPort}`))).toEqual(new Set(['udp 8472']));
    for (const jobs of JOBS) expect(flows(file, ['--vxlan-port', '8472', ...jobs])).toEqual(flows(M('vxlan.pcap')));
    expect(replay(file, ['--vxlan-port', '8472', '--vxlan-port', '4790'])).toEqual(replay(M('vxlan.pcap')));
  });

  it('duplicates are dropped and said so; --keep-duplicates counts every copy', () => {
    for (const jobs of JOBS) {
      const info = JSON.parse(runCli(['info', '-F', 'json', M('both-ends.pcap'), ...jobs.slice(0, 2)]).stdout);
      expect(info.duplicates).toBe(114);
      const kept = JSON.parse(runCli(['info', '-F', 'json', M('both-ends.pcap'), '--keep-duplicates', ...jobs.slice(0, 2)]).stdout);
      expect(kept.duplicates).toBe(0);
      const once = jsonl(['flows', '-F', 'jsonl', M('both-ends.pcap'), ...jobs]);
      expect(once.stderr).toMatch(/^aclreplay: .*both-ends\.pcap: 114 packets mirrored twice counted once \(--keep-duplicates counts every copy\)\n$/);
      const every = jsonl(['flows', '-F', 'jsonl', M('both-ends.pcap'), '--keep-duplicates', ...jobs]);
      expect(every.stderr).toBe('');
      const sum = (rs: Rec[]) => rs.reduce((n, r) => n + r.packets, 0);
      expect(sum(every.records) - sum(once.records)).toBe(114);
    }
    // A capture without tunnels: nothing to drop, no line.
    expect(runCli(['flows', M('direct.pcap')]).stderr).toBe('');
  });

  it('replay says what a mirror cannot show: a note line, a mirror field; not for a direct capture', () => {
    const args = (f: string, fmt: string) => ['replay', '-F', fmt, M(f), '--acl', EX('fixed-return.yaml'), ...SUBNETS];
    const table = runCli(args('vxlan.pcap', 'table'));
    expect(table.stdout.split('\n')[1]).toMatch(/^note: mirrored traffic: AWS does not mirror packets that a security group or network ACL dropped at the mirror source.*\(sessions vxlan:101@192\.168\.77\.10\)$/);
    const j = JSON.parse(runCli(args('both-ends.pcap', 'json')).stdout);
    expect(j.mirror).toMatchObject({ sessions: ['vxlan:102@192.168.77.11', 'vxlan:101@192.168.77.10'], duplicatesDropped: 114 });
    expect(runCli(args('direct.pcap', 'table')).stdout).not.toMatch(/note:/);
    expect(JSON.parse(runCli(args('direct.pcap', 'json')).stdout)).not.toHaveProperty('mirror');
  });

  it('bad values are usage errors: exit 2, a one-line error (commander adds its usage hint), no stack trace', () => {
    for (const bad of [['--vxlan-port', '0'], ['--vxlan-port', '65536'], ['--vxlan-port', 'x'], ['--decap', 'inner']]) {
      for (const cmd of [['flows'], ['info'], ['replay', '--acl', EX('fixed-return.yaml'), ...SUBNETS]]) {
        const r = runCli([...cmd, M('vxlan.pcap'), ...bad]);
        expect(r.status, `${cmd[0]} ${bad.join(' ')}`).toBe(2);
        const lines = r.stderr.trim().split('\n');
        expect(lines[0], r.stderr).toMatch(/--vxlan-port expects a UDP port \(1-65535\), got|argument 'inner' is invalid/);
        expect(lines.slice(1).every((l) => l === '(run with --help for usage)'), r.stderr).toBe(true);
      }
    }
  });
});
