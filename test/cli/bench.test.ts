import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { describeCorpus, REPO_ROOT } from '../helpers/corpus.js';
import { CLASSBENCH, FIXTURES } from '../acl/helpers.js';

beforeAll(() => {
  execFileSync(process.execPath, [join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: REPO_ROOT });
}, 120_000);

describeCorpus('aclreplay bench', () => {
  const dir = join(CLASSBENCH, 'ehzuf_HyperSplit');

  it('-F json on a ClassBench pair: the contract fields, zero mismatches, compiled == linear', () => {
    const r = runCli(['bench', '--acl', join(dir, 'rules', 'acl1_1K'), '--trace', join(dir, 'traces', 'acl1_1K_trace'), '-F', 'json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    for (const k of ['rules', 'packets', 'compileMs', 'bytes', 'mpps', 'linearMpps', 'mismatches']) expect(j).toHaveProperty(k);
    expect(j.rules).toBe(917);
    expect(j.packets).toBe(9380);
    expect(j.mismatches).toBe(0);
    expect(j.linearDisagreements).toBe(0);
    expect(j.mpps).toBeGreaterThan(j.linearMpps);
    expect(j.bytes).toBeGreaterThan(0);
  });

  it('table output says which direction and how the linear reference was sampled', () => {
    const r = runCli(['bench', '--acl', join(dir, 'rules', 'fw1_10K'), '--trace', join(dir, 'traces', 'fw1_10K_trace')]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('inbound rules');
    expect(r.stdout).toMatch(/linear .* \(on the first \d+ packets/);
    expect(r.stdout).toContain('0 against trace labels');
  });
});

describe('aclreplay bench usage', () => {
  it('needs exactly one of --trace and a capture', () => {
    const r = runCli(['bench', '--acl', join(FIXTURES, 'native.yaml')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('either --trace');
  });

  it('a file with several ACLs asks for file#id', () => {
    const r = runCli(['bench', '--acl', join(FIXTURES, 'native.yaml'), '--trace', join(FIXTURES, 'classbench.trace')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('pick one with file#id');
  });

  it('an AWS ACL against a trace: no labels, mismatches null; outbound with --direction', () => {
    const r = runCli(['bench', '--acl', `${join(FIXTURES, 'native.yaml')}#web-nacl`, '--trace', join(FIXTURES, 'classbench.trace'), '--direction', 'outbound', '-F', 'json']);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.mismatches).toBeNull();
    expect(j.direction).toBe('outbound');
    expect(j.rules).toBe(4);
    expect(j.packets).toBe(4);
  });

  it('a malformed trace line is exit 65 with its line', () => {
    const r = runCli(['bench', '--acl', join(FIXTURES, 'classbench-tabs-crlf.rules'), '--trace', join(FIXTURES, 'bad.trace')]);
    expect(r.status).toBe(65);
    expect(r.stderr).toContain('bad.trace:2');
  });

  it('an ACL file holding no ACL is exit 65 for bench, lint and replay alike', () => {
    const none = join(mkdtempSync(join(tmpdir(), 'aclreplay-none-')), 'none.yaml');
    writeFileSync(none, 'acls: []\n');
    const mixed = join(REPO_ROOT, 'captures', 'mixed-clients.pcap');
    for (const args of [['bench', '--acl', none, mixed], ['lint', none], ['replay', mixed, '--acl', none, '--subnet', '10.0.2.0/24']]) {
      const r = runCli(args);
      expect(r.status, args[0]).toBe(65);
      expect(r.stderr.trim()).toBe(`aclreplay: ${none}: no ACL in this file`);
    }
  });
});

describe('aclreplay bench on nothing', () => {
  it('0 packets (an empty trace, a capture without packets): says there is nothing to measure, prints no rate', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aclreplay-bench0-'));
    const trace = join(dir, 'empty.trace');
    writeFileSync(trace, '\n');
    const pcap = join(dir, 'empty.pcap');
    writeFileSync(pcap, readFileSync(join(REPO_ROOT, 'captures', 'mixed-clients.pcap')).subarray(0, 24));
    const acl = `${join(FIXTURES, 'native.yaml')}#web-nacl`;
    for (const args of [['--trace', trace], [pcap]]) {
      const r = runCli(['bench', '--acl', acl, ...args]);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/nothing to measure: .* holds no packets/);
      expect(r.stdout).not.toMatch(/Mpps|ns\/lookup|speedup/);
      const j = JSON.parse(runCli(['bench', '--acl', acl, ...args, '-F', 'json']).stdout);
      expect([j.packets, j.mpps, j.nsPerLookup, j.linearMpps]).toEqual([0, null, null, null]);
    }
  });
});
