/** The CLI on VPC flow logs: files, directories, gzip, Parquet, several inputs, bad input and exit codes, the JSON contract. */
import { describe, it, expect } from 'vitest';
import { readFileSync, writeFileSync, mkdtempSync, mkdirSync, copyFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/corpus.js';

const tmp = mkdtempSync(join(tmpdir(), 'aclreplay-flowlog-cli-'));
const LAB = join(REPO_ROOT, 'captures', 'flowlogs');
const V2 = join(LAB, 'v2', 'lab.log');
const V5 = join(LAB, 'v5', 'lab.log');
const PARQUET = join(LAB, 'parquet', 'lab.log.parquet');
const S3 = join(LAB, 's3');
const PCAP = join(LAB, 'server.pcap');
const DEPLOYED = join(LAB, 'acls', 'deployed.json');
const CANDIDATE = join(LAB, 'acls', 'candidate.yaml');
const SUBNETS = join(LAB, 'acls', 'describe-subnets.json');
const AT_SERVER = ['--subnet', '10.1.2.10/32', '--subnet', 'fd01:2::10/128'];

const json = (args: string[]) => {
  const r = runCli(args);
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
};
/** flows records without where they came from (file names differ between formats). */
const flowsOf = (args: string[]) =>
  (json(['flows', '-F', 'json', ...args]).flows as Record<string, unknown>[]).map(({ logged: _l, id: _i, ...f }) => f).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

describe('aclreplay on flow logs: inputs', () => {
  it('v2 text, v5 text, Parquet, an S3 directory of gzip files, the gzip files named one by one: the same connections', () => {
    const s3Files = JSON.parse(readFileSync(join(LAB, 'manifest.json'), 'utf8')).files.s3 as string[];
    const base = flowsOf([V5]);
    expect(base.length).toBeGreaterThan(50);
    expect(flowsOf([PARQUET])).toEqual(base);
    expect(flowsOf([S3])).toEqual(base);
    expect(flowsOf(s3Files.map((f) => join(LAB, f)))).toEqual(base);
    // v2 has no tcp-flags and no pkt-*: the same 5-tuples and counters, oriented by ports; the NAT gateway's
    // connections keep the gateway's own address (10.1.2.20), where v5 has the packets' (10.1.2.10)
    const v2 = flowsOf([V2]);
    const key = (f: Record<string, unknown>) => `${f.proto} ${[`${f.client}:${f.clientPort}`, `${f.server}:${f.serverPort}`].sort().join(' ')} ${f.packets} ${f.bytes}`.replace('10.1.2.20:80 10.1.3.11', '10.1.2.10:80 10.1.3.11').replace('10.1.2.20:53 10.1.3.11', '10.1.2.10:53 10.1.3.11').replace(/icmp 10\.1\.2\.20:null 10\.1\.3\.11/, 'icmp 10.1.2.10:null 10.1.3.11');
    expect(v2.map(key).sort()).toEqual(base.map(key).sort());
    expect(v2.filter((f) => f.client === '10.1.3.11').every((f) => f.server === '10.1.2.20')).toBe(true);
    expect(base.filter((f) => f.client === '10.1.3.11').every((f) => f.server === '10.1.2.10')).toBe(true);
  });

  it('flows records carry where they came from: interface and first record file:line', () => {
    const j = json(['flows', '-F', 'json', V5]);
    expect(j.file).toBe(V5);
    const f = j.flows[0];
    expect(f.logged).toMatchObject({ interface: 'eni-0f10000000000a001', subnet: 'subnet-0f1000000000000a2', record: `${V5}:3` });
    const lines = readFileSync(V5, 'utf8').split('\n');
    expect(lines[2]).toContain(`${f.client} ${f.clientPort} ${f.server} ${f.serverPort}`);
    const tsv = runCli(['flows', '-F', 'tsv', V5]).stdout.split('\n');
    expect(tsv.find((l) => l.startsWith('#fields'))).toMatch(/\tinterface\trecord\tclientAction\tserverAction$/);
    const jsonl = runCli(['flows', '-F', 'jsonl', V5]).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(jsonl).toEqual(j.flows);
  });

  it('a capture and flow logs together, or two captures: one usage line, exit 2', () => {
    const mixed = runCli(['flows', PCAP, V5]);
    expect(mixed.status).toBe(2);
    expect(mixed.stderr).toMatch(/server\.pcap is a capture and .*lab\.log holds flow logs/);
    expect(mixed.stderr.trim().split('\n')).toHaveLength(1);
    const two = runCli(['info', PCAP, PCAP]);
    expect(two.status).toBe(2);
    expect(two.stderr).toMatch(/2 captures given .*merge them first/);
  });

  it('neither a capture nor a flow log: one line naming the file, exit 65; a missing file: 66', () => {
    const notes = join(tmp, 'notes.txt');
    writeFileSync(notes, 'Hello, these are notes\n');
    for (const cmd of ['info', 'flows', 'clients', 'diagnose']) {
      const r = runCli([cmd, notes]);
      expect(r.status, cmd).toBe(65);
      expect(r.stderr).toMatch(/notes\.txt: offset 0: not a pcap, pcapng or VPC flow-log file \(starts with "Hello, these are notes"\)/);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    const missing = runCli(['flows', V5, join(tmp, 'missing.log')]);
    expect(missing.status).toBe(66);
    expect(missing.stderr).toMatch(/missing\.log: no such file/);
  });

  it('a bad line is a counted problem named by file and line (exit 0); a cut gzip keeps what came before it', () => {
    const lines = readFileSync(V5, 'utf8').split('\n');
    lines.splice(4, 0, '5 eni-0f10000000000a001 this is not a record');
    const bad = join(tmp, 'bad.log');
    writeFileSync(bad, lines.join('\n'));
    const flows = runCli(['flows', '-F', 'json', bad]);
    expect(flows.status).toBe(0);
    expect(flows.stderr).toMatch(new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: 1 problem reading the flow logs; first: bad-flow-log-line at ${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:5`));
    const info = json(['info', '-F', 'json', bad]);
    expect(info.problems).toEqual([expect.objectContaining({ kind: 'bad-flow-log-line', file: bad, line: 5 })]);
    expect(info.files[0]).toMatchObject({ malformed: 1 });
    // gzip cut in the middle: the records before the cut, one I/O problem with its offset, exit 0
    const gz = gzipSync(readFileSync(V5));
    const cut = join(tmp, 'cut.log.gz');
    writeFileSync(cut, gz.subarray(0, Math.floor(gz.length * 0.6)));
    const c = json(['info', '-F', 'json', cut]);
    expect(c.incomplete).toBe(true);
    expect(c.problems[0]).toMatchObject({ kind: 'bad-compressed-stream', file: cut });
    expect(c.records).toBeGreaterThan(10);
    expect(c.records).toBeLessThan(json(['info', '-F', 'json', V5]).records);
  });

  it('directories: files that are not flow logs are skipped and listed; hidden files ignored', () => {
    const d = join(tmp, 'logs');
    mkdirSync(join(d, 'a'), { recursive: true });
    copyFileSync(V5, join(d, 'a', 'x.log'));
    writeFileSync(join(d, 'a', 'README.txt'), 'not a log\n');
    writeFileSync(join(d, '.hidden'), 'nope\n');
    const info = json(['info', '-F', 'json', d]);
    expect(info.files.map((f: { file: string }) => f.file)).toEqual([join(d, 'a', 'x.log')]);
    expect(info.skipped).toEqual([expect.objectContaining({ file: join(d, 'a', 'README.txt') })]);
  });
});

describe('aclreplay info on flow logs', () => {
  it('files, formats, compression, records, time span, problems, coverage gaps per interface with the SKIPDATA warning', () => {
    const j = json(['info', '-F', 'json', S3, PARQUET]);
    expect(j.format).toBe('vpc-flow-logs');
    expect(j.inputs).toEqual([S3, PARQUET]);
    expect(j.files.map((f: { format: string; compression: string | null }) => `${f.format}/${f.compression}`)).toEqual(['text-header/gzip', 'text-header/gzip', 'parquet/null']);
    const one = json(['info', '-F', 'json', V5]);
    expect(j.records).toBe(2 * one.records);
    expect(one.recordsByStatus).toEqual({ ok: 121, nodata: 1, skipdata: 1, unset: 0 });
    expect(one.recordsByAction.reject).toBe(14);
    expect(one.firstTs).toBeLessThan(one.lastTs);
    expect(one.coverageGaps).toHaveLength(2);
    expect(one.coverageGaps).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ interface: 'eni-0f10000000000a001', status: 'SKIPDATA', start: 1796120160, end: 1796120170, records: 1 }),
        expect.objectContaining({ interface: 'eni-0f10000000000a009', status: 'NODATA', start: 1796120110, end: 1796120120, records: 1 }),
      ]),
    );
    expect(one.coverageGaps.find((g: { status: string }) => g.status === 'SKIPDATA').note).toMatch(/any number of flows may be missing/);
    expect(one.skipdataNote).toMatch(/lower bound/);
    const text = runCli(['info', V5]).stdout;
    expect(text).toMatch(/coverage gaps/);
    expect(text).toMatch(/SKIPDATA/);
    expect(text).toMatch(/lower bound/);
  });
});

describe('aclreplay replay / diagnose / diff on flow logs', () => {
  it('replay -F json: rule hits weighted by packets; jsonl records carry logged', () => {
    const j = json(['replay', '-F', 'json', V5, '--acl', DEPLOYED, ...AT_SERVER]);
    expect(j.records).toBe(123);
    const rule = (dir: string, n: number) => j.acls[0].rules.find((r: { direction: string; number: number }) => r.direction === dir && r.number === n).hits;
    expect([rule('inbound', 100), rule('outbound', 100), rule('outbound', 110)]).toEqual([3, 36, 5]);
    const lines = runCli(['replay', '-F', 'jsonl', V5, '--acl', DEPLOYED, ...AT_SERVER]).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.every((l) => typeof l.logged.interface === 'string')).toBe(true);
    expect(lines.find((l) => l.serverPort === 8080)).toMatchObject({ outcome: 'forward-blocked', forward: { rule: 100, action: 'deny' } });
  });

  it('diagnose -F json --acl: rejectExplanations at the top level, one entry per acl, rule and cause', () => {
    const j = json(['diagnose', '-F', 'json', V5, '--acl', DEPLOYED, '--subnets', SUBNETS]);
    const ex = j.rejectExplanations as { interface: string; direction: string; acl: string; rule: unknown; records: number; packets: number; cause: string }[];
    for (const e of ex) {
      expect(Object.keys(e)).toEqual(expect.arrayContaining(['interface', 'direction', 'acl', 'rule', 'records', 'packets', 'cause']));
      expect(['inbound', 'outbound']).toContain(e.direction);
      expect(['network-acl', 'not-network-acl']).toContain(e.cause);
    }
    expect(new Set(ex.map((e) => `${e.acl} ${e.interface} ${e.direction} ${e.rule} ${e.cause}`)).size).toBe(ex.length);
    expect(ex.reduce((n, e) => n + e.records, 0)).toBe(14);
    expect(ex.find((e) => e.cause === 'not-network-acl')).toMatchObject({ rule: null });
    expect(j.diagnoses.map((d: { code: string }) => d.code)).toContain('RETURN_PORT_NOT_ALLOWED');
    const text = runCli(['diagnose', V5, '--acl', DEPLOYED, ...AT_SERVER]).stdout;
    expect(text).toMatch(/REJECT records explained by the deployed ACL/);
    // The replies are refused by explicit denies (egress 100 and 110: tcp and udp 0-32767), which a fix never
    // overrides: the fix has no change and names them.
    expect(text).toMatch(/fix acl-0f10000000000d001:egress:tcp:ipv4: nothing to open: explicit deny 100 \(1024-32767\) refuses these replies/);
  });

  it('diff: what the candidate newly denies, per rule, with counts and example records', () => {
    const j = json(['diff', '-F', 'json', V5, '--acl', DEPLOYED, '--acl', CANDIDATE, ...AT_SERVER]);
    expect(j.broken).toBeGreaterThan(0);
    const nd = j.newlyDenied as { direction: string; rule: unknown; family: number; records: number; packets: number; examples: { record: string; side: string }[] }[];
    expect(nd.map((n) => `${n.direction} ${n.rule} ${n.family}`).sort()).toEqual(['outbound * 4', 'outbound * 6']);
    for (const n of nd) {
      expect(n.records).toBeGreaterThan(0);
      for (const e of n.examples) {
        expect(e.side).toBe('return');
        const [file, line] = [e.record.slice(0, e.record.lastIndexOf(':')), Number(e.record.slice(e.record.lastIndexOf(':') + 1))];
        expect(readFileSync(file, 'utf8').split('\n')[line - 1]).toMatch(/ 17 /);
      }
    }
    expect(runCli(['diff', V5, '--acl', DEPLOYED, '--acl', CANDIDATE, ...AT_SERVER]).stdout).toMatch(/newly denied by candidate/);
  });

  it('--subnets with the records\' subnet-id for an ACL without associations; without a subnet, exit 2 naming what is missing', () => {
    const j = json(['replay', '-F', 'json', S3, '--acl', CANDIDATE, '--subnets', SUBNETS]);
    expect(j.acls[0].subnets).toEqual(['10.1.2.0/24', 'fd01:2::/64']);
    const none = runCli(['replay', V2, '--acl', CANDIDATE, '--subnets', SUBNETS]);
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/the flow logs name no subnet-id/);
    const noSubnet = runCli(['replay', V5, '--acl', CANDIDATE]);
    expect(noSubnet.status).toBe(2);
    expect(noSubnet.stderr).toMatch(/busiest servers in .* are in 10\.1\.2\.0\/24/);
  });

  it('--fail-on and the HTML report work on logs', () => {
    const html = join(tmp, 'r.html');
    const r = runCli(['replay', V5, '--acl', DEPLOYED, ...AT_SERVER, '--fail-on', 'return-blocked', '--html', html]);
    expect(r.status).toBe(3);
    const page = readFileSync(html, 'utf8');
    expect(page).toMatch(/acl-0f10000000000d001/);
    expect(page).toMatch(/REJECT records explained/);
    expect(page.match(/data-cause="network-acl"/g)).toHaveLength(3);
    const d = join(tmp, 'd.html');
    expect(runCli(['diagnose', V5, '--html', d]).status).toBe(0);
    expect(readFileSync(d, 'utf8')).toMatch(/Flow logs <b/);
    expect(readFileSync(d, 'utf8')).toMatch(/record [^<]*lab\.log:\d+/);
  });
});
