import { describe, it, expect } from 'vitest';
import { readFileSync, writeFileSync, mkdtempSync, existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { runCli, CLI } from '../helpers/cli.js';
import { buildCapture, type Spec } from '../helpers/build.js';
import { REPO_ROOT } from '../helpers/corpus.js';

const tmp = mkdtempSync(join(tmpdir(), 'aclreplay-cli-'));
const MIXED = join(REPO_ROOT, 'captures', 'mixed-clients.pcap');
const DROP = join(REPO_ROOT, 'captures', 'return-drop.pcap');
const EX = (f: string) => join(REPO_ROOT, 'examples', f);

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
    expect(r1.stderr).toMatch(/notes\.pcap: offset 0: not a pcap, pcapng or VPC flow-log file \(starts with "hello, this is text"\)/);
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
    // The other commands say so on stderr, in one line, and still answer.
    for (const args of [['flows', cut], ['clients', cut], ['diagnose', cut], ['replay', cut, '--acl', EX('classic-return.yaml'), '--subnet', '10.0.2.0/24']]) {
      const o = runCli(args);
      expect(o.status, args[0]).toBe(0);
      expect(o.stdout.length).toBeGreaterThan(0);
      expect(o.stderr.trim().split('\n'), args[0]).toEqual([expect.stringMatching(/cut\.pcap: 1 problem reading the capture, reading stopped early .*first: truncated-record at offset \d+.*`aclreplay info` lists them$/)]);
    }
  });

  it('a corrupt gzip stream: why reading stopped is reported, not just a short record', () => {
    const gz = Buffer.from(gzipSync(readFileSync(MIXED)));
    gz.fill(0, Math.floor(gz.length * 0.9), Math.floor(gz.length * 0.9) + 16);
    const bad = join(tmp, 'bad.pcap.gz');
    writeFileSync(bad, gz);
    const j = JSON.parse(runCli(['info', '-F', 'json', bad]).stdout);
    expect(j.problems.map((p: { message: string }) => p.message)).toContainEqual(expect.stringMatching(/^gzip stream ends in error after \d+ decompressed bytes: /));
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

  it('flows: fragments and ICMP errors it could not place are counted, not dropped silently', async () => {
    const { ipv4Packet } = await import('../helpers/packets.js');
    const quoted = ipv4Packet('10.0.1.5', '10.0.2.7', { proto: 'udp', sport: 5000, dport: 9999, payload: new Uint8Array(8) });
    const file = buildCapture([
      ['10.0.1.5', '10.0.2.7', { proto: 17, payload: new Uint8Array(16) }, { fragOffset: 24, dontFragment: false, ident: 9 }],
      ['10.0.9.1', '10.0.1.5', { proto: 'icmp', icmpType: 3, icmpCode: 3, payload: quoted.subarray(0, 28) }],
    ]);
    const j = JSON.parse(runCli(['flows', '-F', 'json', file]).stdout);
    expect(j).toMatchObject({ unmatchedFragments: 1, unattributedIcmpErrors: 1 });
    expect(runCli(['flows', file]).stdout).toMatch(/1 fragments whose first fragment is not in the capture, 1 ICMP errors quoting no connection/);
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

  it('diagnose --fail-on: a finding code exits 3, an unknown code exits 2 (a typo must not pass a CI gate)', () => {
    expect(runCli(['diagnose', DROP, '--fail-on', 'RETURN_DROP_SUSPECTED']).status).toBe(3);
    expect(runCli(['diagnose', DROP, '--fail-on', 'FORWARD_DENIED,ICMP_NEEDED']).status).toBe(0);
    const typo = runCli(['diagnose', DROP, '--fail-on', 'RETURN_DROP_SUSPECT']);
    expect(typo.status).toBe(2);
    expect(typo.stderr).toMatch(/--fail-on: 'RETURN_DROP_SUSPECT' is not a finding or diagnosis code/);
  });
});

describe('aclreplay replay / diff / lint errors and the CI gate', () => {
  const base = ['replay', MIXED, '--acl', EX('classic-return.yaml'), '--subnet', '10.0.2.0/24'];

  it('jsonl: one object per connection and ACL with the contract fields', () => {
    const r = runCli([...base, '--acl', EX('fixed-return.yaml'), '-F', 'jsonl']);
    expect(r.status).toBe(0);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const conns = JSON.parse(runCli(['flows', '-F', 'json', MIXED]).stdout).connections;
    expect(rows).toHaveLength(2 * conns);
    for (const k of ['acl', 'proto', 'client', 'clientPort', 'server', 'serverPort', 'outcome', 'forward', 'return']) expect(rows[0]).toHaveProperty(k);
    expect(rows[0].forward).toHaveProperty('direction');
    expect(rows[0].forward).toHaveProperty('rule');
    expect(rows[0].forward).toHaveProperty('action');
    expect(new Set(rows.map((x: { acl: string }) => x.acl))).toEqual(new Set(['classic-return', 'fixed-return']));
  });

  it('json: per ACL packets, rules, outcomes, diagnoses', () => {
    const j = JSON.parse(runCli([...base, '-F', 'json']).stdout);
    const a = j.acls[0];
    expect(Object.keys(a.packets).sort()).toEqual(['inbound', 'notApplicable', 'outbound', 'unknownFragments']);
    expect(a.rules[0]).toMatchObject({ direction: 'inbound', number: 100, action: 'allow' });
    expect(Object.keys(a.outcomes).sort()).toEqual(['both-blocked', 'forward-blocked', 'not-applicable', 'ok', 'return-blocked']);
    expect(a.diagnoses.map((d: { code: string }) => d.code)).toContain('RETURN_PORT_NOT_ALLOWED');
  });

  it('--fail-on: exit 3 on a matching outcome or code, 0 otherwise, 2 for an unknown value', () => {
    expect(runCli([...base, '--fail-on', 'return-blocked']).status).toBe(3);
    expect(runCli([...base, '--fail-on', 'RETURN_PORT_NOT_ALLOWED']).status).toBe(3);
    const fixed = ['replay', MIXED, '--acl', EX('fixed-return.yaml'), '--subnet', '10.0.2.0/24', '--subnet', 'fd00:2::/64'];
    expect(runCli([...fixed, '--fail-on', 'return-blocked,RETURN_PORT_NOT_ALLOWED']).status).toBe(0);
    const bad = runCli([...base, '--fail-on', 'sometimes']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--fail-on: 'sometimes'/);
  });

  it('no subnet: exit 2 and a suggestion from the capture', () => {
    const r = runCli(['replay', MIXED, '--acl', EX('classic-return.yaml')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no subnet for ACL classic-return.*--subnet 10\.0\.2\.0\/24/);
  });

  it('bad ACL input and unknown #id: exit 65 naming the file and line or path', () => {
    const bad = join(tmp, 'bad.yaml');
    writeFileSync(bad, 'acls:\n  - id: x\n    inbound:\n      - { rule: 100, proto: tcp, ports: 80, cidr: 10.0.0.300/8, action: allow }\n');
    const r1 = runCli(['replay', MIXED, '--acl', bad, '--subnet', '10.0.2.0/24']);
    expect(r1.status).toBe(65);
    expect(r1.stderr).toMatch(/bad\.yaml:4.*10\.0\.0\.300\/8/);
    const r2 = runCli(['replay', MIXED, '--acl', `${EX('classic-return.yaml')}#nope`, '--subnet', '10.0.2.0/24']);
    expect(r2.status).toBe(65);
    expect(r2.stderr).toMatch(/nope.*classic-return/);
    const r3 = runCli(['replay', MIXED, '--acl', join(tmp, 'absent.json'), '--subnet', '10.0.2.0/24']);
    expect(r3.status).toBe(66);
    for (const r of [r1, r2, r3]) expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('diff: groups the changes by cause', () => {
    const j = JSON.parse(runCli(['diff', MIXED, '--acl', EX('classic-return.yaml'), '--acl', EX('fixed-return.yaml'), '--subnet', '10.0.2.0/24', '--subnet', 'fd00:2::/64', '-F', 'json']).stdout);
    expect(j).toMatchObject({ old: 'classic-return', new: 'fixed-return', broken: 0 });
    expect(j.fixed).toBeGreaterThan(30);
    expect(j.changes[0]).toMatchObject({ from: 'return-blocked', to: 'ok', oldCause: 'return: egress * deny', newCause: 'return: egress rule 100 allow' });
    expect(runCli(['diff', MIXED, '--acl', EX('classic-return.yaml'), '--subnet', '10.0.2.0/24']).status).toBe(2);
    // A file holding two ACLs is two candidates, not one side of the comparison.
    const both = join(tmp, 'both.yaml');
    writeFileSync(both, readFileSync(EX('classic-return.yaml'), 'utf8') + readFileSync(EX('fixed-return.yaml'), 'utf8').replace(/^acls:\n/m, ''));
    const r = runCli(['diff', MIXED, '--acl', both, '--acl', EX('fixed-return.yaml'), '--subnet', '10.0.2.0/24']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--acl .*both\.yaml holds 2 ACLs \(classic-return, fixed-return\): name one as .*both\.yaml#<id>/);
    expect(runCli(['diff', MIXED, '--acl', `${both}#classic-return`, '--acl', EX('fixed-return.yaml'), '--subnet', '10.0.2.0/24']).status).toBe(0);
  });
});

describe('output to a pipe that closes early', () => {
  it('flows | head: exit 0, nothing on stderr', () => {
    // 6000 UDP flows make well over a pipe buffer of output, so the write after `head` exits fails with EPIPE.
    const specs: Spec[] = [];
    for (let i = 0; i < 6000; i++) specs.push([`10.0.${i >> 8}.${i & 255}`, '10.9.0.1', { proto: 'udp', sport: 40000 + (i % 20000), dport: 53, payload: new Uint8Array(8) }]);
    const file = buildCapture(specs);
    // The CLI's stderr and its exit status (echoed after it) reach us; its stdout goes to a `head` that quits early.
    const r = spawnSync('sh', ['-c', `("${process.execPath}" "${CLI}" flows "${file}"; echo "exit $?" >&2) | head -c 200 >/dev/null`], { encoding: 'utf8' });
    expect(r.stderr.trim()).toBe('exit 0');
  });

  it('replay | head: the CI gate still decides the exit code and the HTML report is still written', () => {
    // Client ports from 1024 up: the classic return rule (32768-65535) blocks most replies.
    const specs: Spec[] = [];
    for (let i = 0; i < 6000; i++) specs.push([`10.0.${i >> 8}.${i & 255}`, '10.0.2.10', { proto: 'udp', sport: 1024 + (i % 20000), dport: 53, payload: new Uint8Array(8) }]);
    const file = buildCapture(specs);
    const html = join(tmp, 'piped.html');
    const cmd = `"${process.execPath}" "${CLI}" replay "${file}" --acl "${EX('classic-return.yaml')}" --subnet 10.0.2.0/24 -F jsonl --fail-on return-blocked --html "${html}"`;
    const r = spawnSync('sh', ['-c', `(${cmd}; echo "exit $?" >&2) | head -c 200 >/dev/null`], { encoding: 'utf8' });
    expect(r.stderr.trim().split('\n').pop()).toBe('exit 3');
    expect(readFileSync(html, 'utf8')).toMatch(/^<!doctype html>/i);
  });

  it('a full disk on stdout: exit 74 and one line', () => {
    if (!existsSync('/dev/full')) return void console.warn('skipped: no /dev/full');
    const r = spawnSync('sh', ['-c', `"${process.execPath}" "${CLI}" flows "${MIXED}" > /dev/full`], { encoding: 'utf8' });
    expect(r.status).toBe(74);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^aclreplay: <stdout>: .*(ENOSPC|no space)/)]);
  });
});
