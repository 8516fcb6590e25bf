import { describe, it, expect } from 'vitest';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/corpus.js';

const tmp = mkdtempSync(join(tmpdir(), 'aclreplay-cli-'));
const MIXED = join(REPO_ROOT, 'captures', 'mixed-clients.pcap');
const DROP = join(REPO_ROOT, 'captures', 'return-drop.pcap');

describe('aclreplay info', () => {
  it('prints the contract fields as JSON', () => {
    const r = runCli(['info', '-F', 'json', MIXED]);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ format: 'pcap', packets: 1036, linkTypes: [{ linkType: 1, name: 'EN10MB', packets: 1036 }], problems: [] });
    expect(Object.keys(j.decoded).sort()).toEqual(['icmp', 'ipv4', 'ipv6', 'other', 'tcp', 'udp']);
    expect(j.decoded.tcp + j.decoded.udp + j.decoded.icmp + j.decoded.other).toBe(1036);
  });

  it('reads stdin and gzip the same as the file', () => {
    const file = JSON.parse(runCli(['info', '-F', 'json', MIXED]).stdout);
    const bytes = readFileSync(MIXED);
    const stdin = JSON.parse(runCli(['info', '-F', 'json', '-'], { input: bytes }).stdout);
    const gz = join(tmp, 'm.pcap.gz');
    writeFileSync(gz, gzipSync(bytes));
    const zipped = JSON.parse(runCli(['info', '-F', 'json', gz]).stdout);
    for (const j of [stdin, zipped]) expect({ ...j, file: '', compression: null }).toEqual({ ...file, file: '' });
  });

  it('bad input: one line, documented exit codes, no stack trace', () => {
    const notCapture = join(tmp, 'notes.pcap');
    writeFileSync(notCapture, 'hello, this is text');
    const r1 = runCli(['info', notCapture]);
    expect(r1.status).toBe(65);
    expect(r1.stderr).toMatch(/notes\.pcap: offset 0: not a pcap or pcapng file \(magic 0x68656c6c\)/);
    expect(r1.stderr.trim().split('\n')).toHaveLength(1);
    const r2 = runCli(['info', join(tmp, 'missing.pcap')]);
    expect(r2.status).toBe(66);
    expect(r2.stderr).toMatch(/missing\.pcap: no such file/);
    const r3 = runCli(['info', '--bogus', MIXED]);
    expect(r3.status).toBe(2);
    const r4 = runCli(['flows', '-F', 'xml', MIXED]);
    expect(r4.status).toBe(2);
    for (const r of [r1, r2, r3, r4]) expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a truncated capture: everything before the cut, the problem with its offset, exit 0', () => {
    const bytes = readFileSync(MIXED);
    const cut = join(tmp, 'cut.pcap');
    writeFileSync(cut, bytes.subarray(0, 50_000));
    const r = runCli(['info', '-F', 'json', cut]);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.packets).toBeGreaterThan(400);
    expect(j.incomplete).toBe(true);
    expect(j.problems[0]).toMatchObject({ kind: 'truncated-record' });
    expect(j.problems[0].offset).toBeLessThan(50_000);
  });
});

describe('aclreplay flows / clients / diagnose', () => {
  it('flows: json, jsonl and tsv carry the same connections with the contract fields', () => {
    const json = JSON.parse(runCli(['flows', '-F', 'json', DROP]).stdout);
    const jsonl = runCli(['flows', '-F', 'jsonl', DROP]).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(jsonl).toEqual(json.flows);
    for (const f of jsonl) for (const k of ['proto', 'client', 'clientPort', 'server', 'serverPort', 'orientation', 'state', 'packets', 'bytes', 'firstTs', 'lastTs']) expect(f).toHaveProperty(k);
    const tsv = runCli(['flows', '-F', 'tsv', DROP]).stdout.split('\n');
    const fields = tsv.find((l) => l.startsWith('#fields'))!.split('\t').slice(1);
    const rows = tsv.filter((l) => l && !l.startsWith('#'));
    expect(rows).toHaveLength(jsonl.length);
    const first = Object.fromEntries(rows[0]!.split('\t').map((v, i) => [fields[i], v]));
    expect(first).toMatchObject({ client: jsonl[0].client, clientPort: String(jsonl[0].clientPort), state: jsonl[0].state });
    // ICMP has no ports: TSV says '-' for unset.
    const icmpRow = rows.map((r) => r.split('\t')).find((c) => c[fields.indexOf('proto')] === 'icmp');
    if (icmpRow) expect(icmpRow[fields.indexOf('clientPort')]).toBe('-');
  });

  it('flows: the same answer with -j 1 and -j 2', () => {
    const a = runCli(['flows', '-F', 'jsonl', '-j', '1', DROP]).stdout;
    const b = runCli(['flows', '-F', 'jsonl', '-j', '2', '--chunk-size', '4096', DROP]).stdout;
    expect(b).toBe(a);
  });

  it('clients: field names and profiles', () => {
    const j = JSON.parse(runCli(['clients', '-F', 'json', MIXED]).stdout);
    const linux = j.clients.find((c: { host: string }) => c.host === '10.0.1.11');
    expect(linux).toMatchObject({ profile: 'linux', range: [32768, 60999] });
    for (const k of ['host', 'flows', 'minPort', 'maxPort', 'profile', 'range', 'confidence']) expect(linux).toHaveProperty(k);
  });

  it('diagnose: RETURN_DROP_SUSPECTED with the threshold', () => {
    const j = JSON.parse(runCli(['diagnose', '-F', 'json', DROP]).stdout);
    const f = j.findings.find((x: { code: string }) => x.code === 'RETURN_DROP_SUSPECTED');
    expect(f).toMatchObject({ server: '10.0.2.10', serverPort: 80, proto: 'tcp', threshold: { side: 'below', port: 49152 } });
    expect(f.failed).toBeGreaterThan(0);
    expect(f.ok).toBeGreaterThan(0);
    const table = runCli(['diagnose', DROP]).stdout;
    expect(table).toMatch(/RETURN_DROP_SUSPECTED: .* client ports below 49152/);
  });
});
