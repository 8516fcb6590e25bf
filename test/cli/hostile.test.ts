/**
 * A standing guard against hostile and careless input (issue 15): truncated, mutated and special capture files,
 * bombs and depth attacks for every ACL-side format, terminal escapes. Every case runs the built CLI as a child and
 * asserts its exit code, one stderr line at most, no stack trace, and its wall time and peak memory (measured in the
 * child by test/helpers/peak-rss.mjs). A fast-check property then throws random and mutated ACL files at `lint` and
 * `replay` in this process: they end with 0, 2, 3 or 65, never an internal error.
 */
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PcapngWriter } from '../../src/capture/writer.js';
import { main } from '../../src/cli/main.js';
import { runCliMeasured, type MeasuredResult } from '../helpers/cli.js';
import { CORPUS_DIR, corpusAvailable, REPO_ROOT } from '../helpers/corpus.js';

const D = mkdtempSync(join(tmpdir(), 'aclreplay-hostile-'));
const at = (name: string) => join(D, name);
const MIXED = join(REPO_ROOT, 'captures', 'mixed-clients.pcap');
const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'acl');
const GOOD_ACL = join(FIXTURES, 'native.yaml');
const ESC_ID = '\x1b[2J\x1b]0;OWNED\x07\u202e';

/** One child run and what it must do. */
interface Case {
  name: string;
  args: string[];
  exit: number;
  /** The one stderr line (without the `aclreplay: ` prefix) must match; undefined: stderr must be empty. */
  stderr?: RegExp;
  check?: (r: MeasuredResult) => void;
  maxMs?: number;
  maxRssMiB?: number;
  /** Run before the child starts (e.g. a FIFO writer), after fixtures exist. */
  before?: () => void;
}

const bomb = (top: string, tail = '') => {
  let s = 'l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
  for (let i = 1; i < 9; i++) s += `l${i}: &l${i} [${Array(9).fill(`*l${i - 1}`).join(',')}]\n`;
  return `${s}${top}: *l8\n${tail}`;
};
const deep = (open: string, close: string, n: number, inner = '1') => `${open.repeat(n)}${inner}${close.repeat(n)}`;
const tfWith = (expr: string) => `resource "aws_network_acl" "a" {\n  vpc_id = "v"\n  tags = ${expr}\n}\n`;
const cfnAcl = 'Resources:\n  Acl:\n    Type: AWS::EC2::NetworkAcl\n';

function fixtures(): void {
  const mixed = readFileSync(MIXED);
  for (const n of [0, 3, 30, 5000]) writeFileSync(at(`prefix-${n}.pcap`), mixed.subarray(0, n));
  writeFileSync(at('prefix-end.pcap'), mixed.subarray(0, mixed.length - 7));
  const ng = new PcapngWriter(true).section(true).iface({ linkType: 1 }).epb(0, 0, 1, mixed.subarray(40, 100)).take();
  writeFileSync(at('ng-20.pcapng'), ng.subarray(0, 20));
  const zeroLen = Buffer.from(ng);
  zeroLen.writeUInt32LE(0, 4);
  writeFileSync(at('ng-shb0.pcapng'), zeroLen);
  const huge = Buffer.from(mixed);
  huge.writeUInt32LE(0xffffffff, 24 + 8); // the first record's caplen
  writeFileSync(at('caplen-huge.pcap'), huge);
  const flipped = Buffer.from(mixed);
  for (let i = 0; i < 200; i++) flipped[24 + ((i * 7919) % (flipped.length - 24))] ^= 0xa5;
  writeFileSync(at('flipped.pcap'), flipped);
  const gz = gzipSync(mixed);
  writeFileSync(at('garbage.pcap.gz'), Buffer.concat([gz, Buffer.from('garbage\n')]));
  writeFileSync(at('cut.pcap.gz'), gz.subarray(0, gz.length >> 1));
  const crc = Buffer.from(gz);
  crc[crc.length - 7] ^= 0x40;
  writeFileSync(at('crc.pcap.gz'), crc);
  mkdirSync(at('dir'));
  mkdirSync(at('notes'));
  writeFileSync(join(at('notes'), 'readme.txt'), 'these are not flow logs\n');
  execFileSync('mkfifo', [at('capture.fifo')]);
  // 200,000 interfaces in 4 MB, and a packet on the last.
  const many = new PcapngWriter(true).section(true);
  for (let i = 0; i < 200_000; i++) many.iface({ linkType: 1 });
  writeFileSync(at('interfaces.pcapng'), many.epb(199_999, 0, 1, mixed.subarray(40, 100)).take());

  const sparse = openSync(at('huge.json'), 'w');
  ftruncateSync(sparse, 3 * 1024 ** 3);
  closeSync(sparse);
  symlinkSync('loop-b', at('loop-a'));
  symlinkSync('loop-a', at('loop-b'));
  const acl = (entries: string) => `{"NetworkAcls": [{"NetworkAclId": "acl-1", "Entries": [${entries}]}]}`;
  writeFileSync(at('deep.json'), deep('[', ']', 100_000, ''));
  writeFileSync(at('deep-field.json'), acl(`{"RuleNumber": 1, "Egress": false, "RuleAction": "allow", "CidrBlock": "0.0.0.0/0", "Protocol": ${deep('[', ']', 100_000, '')}}`));
  writeFileSync(at('overflow.json'), acl('{"RuleNumber": 100, "Protocol": "6", "RuleAction": "allow", "Egress": false, "CidrBlock": "0.0.0.0/0", "PortRange": {"From": 1e309, "To": 80}}'));
  writeFileSync(at('long-value.json'), acl(`{"RuleNumber": 100, "Protocol": "-1", "RuleAction": "allow", "Egress": false, "CidrBlock": "${'9'.repeat(5_000_000)}"}`));
  writeFileSync(at('rule-32767.json'), acl('{"RuleNumber": 32767, "Protocol": "-1", "RuleAction": "allow", "Egress": false, "CidrBlock": "0.0.0.0/0"}'));
  writeFileSync(at('native-bomb.yaml'), bomb('acls'));
  writeFileSync(at('native-deep.yaml'), `acls: ${deep('[', ']', 50_000, '')}\n`);
  writeFileSync(at('native-tag.yaml'), 'acls:\n  - id: a\n    inbound: !Include rules.yaml\n');
  writeFileSync(at('cfn-bomb.yaml'), bomb('X', `${cfnAcl}    Properties:\n      Tags: !Split [",", !Join [",", *l8]]\n`));
  writeFileSync(at('cfn-loop.yaml'), `Conditions:\n  A: !Condition B\n  B: !Condition A\n${cfnAcl}    Condition: A\n`);
  writeFileSync(at('cfn-if.yaml'), `Conditions:\n  c: !Equals [a, a]\n${cfnAcl}  E:\n    Type: AWS::EC2::NetworkAclEntry\n    Properties:\n      NetworkAclId: !Ref Acl\n      RuleNumber: ${deep('!If [c, ', ', 2]', 90)}\n      Protocol: -1\n      RuleAction: allow\n      CidrBlock: 0.0.0.0/0\n`);
  writeFileSync(at('cfn-if.json'), `{"Conditions": {"c": {"Fn::Equals": ["a", "a"]}}, "Resources": {"Acl": {"Type": "AWS::EC2::NetworkAcl"}, "E": {"Type": "AWS::EC2::NetworkAclEntry", "Properties": {"NetworkAclId": {"Ref": "Acl"}, "RuleNumber": ${deep('{"Fn::If": ["c", ', ', 2]}', 20_000)}}}}}`);
  writeFileSync(at('tf-plan-deep.json'), `{"format_version": "1.0", "planned_values": {"root_module": ${deep('{"child_modules": [', ']}', 20_000, '{}')}}}`);
  writeFileSync(at('deep-list.tf'), tfWith(deep('[', ']', 20_000, '')));
  writeFileSync(at('deep-interp.tf'), tfWith(`"${deep('${"', '"}', 5_000, 'x')}"`));
  writeFileSync(at('locals-loop.tf'), 'locals {\n  a = local.b\n  b = local.a\n}\nresource "aws_network_acl" "a" {\n  vpc_id = "v"\n  ingress {\n    rule_no = local.a\n  }\n}\n');
  const cb = '@10.0.0.0/8 0.0.0.0/0 0 : 65535 0 : 65535 0x06/0xFF\n';
  writeFileSync(at('many.rules'), cb.repeat(70_000));
  writeFileSync(at('long-line.rules'), `@${'1'.repeat(5_000_000)}\n`);
  writeFileSync(at('empty.trace'), '\n');
  writeFileSync(at('topology-bomb.yaml'), bomb('subnets'));
  writeFileSync(at('topology-deep.yaml'), `name: x\nsubnets: ${deep('[', ']', 50_000, '')}\n`);
  writeFileSync(at('topology-tag.yaml'), 'name: x\nsubnets: !Env SUBNETS\n');
  writeFileSync(at('subnets-bad.json'), '{"Subnets": [{"SubnetId": "subnet-1", "CidrBlock": "10.0.0.0/33"}]}');
  writeFileSync(at('subnets-deep.json'), `{"Subnets": ${deep('[', ']', 100_000, '')}}`);
  writeFileSync(at('escape.yaml'), readFileSync(join(REPO_ROOT, 'examples', 'classic-return.yaml'), 'utf8').replace(/id: \S+/, `id: ${JSON.stringify(ESC_ID)}`));
  writeFileSync(at(`name-${ESC_ID.replace(/\//g, '_')}.json`), '{');
}

const oneLine = (re: RegExp) => re;
const CASES: Case[] = [
  // Captures: prefixes, mutations, gzip failures, special files.
  { name: 'empty capture', args: ['info', at('prefix-0.pcap')], exit: 65, stderr: /prefix-0\.pcap: offset 0: not a pcap, pcapng or VPC flow-log file \(it is empty\)$/ },
  { name: '3-byte capture', args: ['info', at('prefix-3.pcap')], exit: 65, stderr: /only 3 bytes\)$/ },
  { name: 'pcap header + 6 bytes is a truncated record', args: ['info', '-F', 'json', at('prefix-30.pcap')], exit: 0, check: (r) => expect(JSON.parse(r.stdout).problems[0]).toMatchObject({ kind: 'truncated-record', offset: 24 }) },
  { name: 'pcap cut inside a record', args: ['flows', at('prefix-5000.pcap')], exit: 0, stderr: /1 problem reading the capture, reading stopped early .*truncated-record/ },
  { name: 'pcap cut 7 bytes short', args: ['info', '-F', 'json', at('prefix-end.pcap')], exit: 0, check: (r) => expect(JSON.parse(r.stdout).incomplete).toBe(true) },
  { name: 'pcapng of 20 bytes', args: ['info', at('ng-20.pcapng')], exit: 65, stderr: /pcapng section header needs 28 bytes, the file has 20$/ },
  { name: 'pcapng whose section header length is 0', args: ['info', at('ng-shb0.pcapng')], exit: 65, stderr: /section header block length 0 is below 28$/ },
  { name: 'a record claiming 4 GiB', args: ['info', '-F', 'json', at('caplen-huge.pcap')], exit: 0, check: (r) => expect(JSON.parse(r.stdout).problems[0].kind).toBe('absurd-length') },
  { name: '200 flipped bytes', args: ['replay', at('flipped.pcap'), '--acl', GOOD_ACL, '--subnet', '10.0.0.0/8'], exit: 0, stderr: /problems? reading the capture/ },
  { name: 'gzip with trailing garbage: all 1036 packets', args: ['info', '-F', 'json', at('garbage.pcap.gz')], exit: 0, check: (r) => expect([JSON.parse(r.stdout).packets, JSON.parse(r.stdout).problems[0].kind]).toEqual([1036, 'bad-gzip']) },
  { name: 'gzip cut in half: the gzip failure first', args: ['flows', at('cut.pcap.gz')], exit: 0, stderr: /first: bad-gzip at offset \d+: gzip stream ends in error/ },
  { name: 'gzip with a bad CRC: all 1036 packets', args: ['info', '-F', 'json', at('crc.pcap.gz')], exit: 0, check: (r) => expect(JSON.parse(r.stdout).packets).toBe(1036) },
  { name: '/dev/zero as a capture', args: ['info', '/dev/zero'], exit: 65, stderr: /magic 0x00000000\)$/ },
  { name: '/dev/null as a capture', args: ['info', '/dev/null'], exit: 65, stderr: /it is empty\)$/ },
  { name: 'a directory of files that are not flow logs', args: ['flows', at('notes')], exit: 66, stderr: /notes: is a directory with no flow-log files \(1 other file skipped; .*readme\.txt: / },
  { name: 'a directory as a capture', args: ['info', at('dir')], exit: 66, stderr: /is a directory with no files: neither a capture nor flow logs$/ },
  {
    name: 'a FIFO as a capture',
    args: ['info', '-F', 'json', at('capture.fifo')],
    exit: 0,
    before: () => {
      spawn('sh', ['-c', `cat "${MIXED}" > "${at('capture.fifo')}"`], { stdio: 'ignore' });
    },
    check: (r) => expect(JSON.parse(r.stdout).packets).toBe(1036),
  },
  { name: '200,000 pcapng interfaces in bounded memory', args: ['flows', '-F', 'json', at('interfaces.pcapng')], exit: 0, maxRssMiB: 250 },

  // ACL-side inputs: size, devices, bombs and depth, for every format.
  { name: 'a 3 GB ACL file fails fast', args: ['lint', at('huge.json')], exit: 65, stderr: /huge\.json: 3 GiB, larger than the 64 MiB limit for ACL files$/, maxMs: 5_000 },
  { name: '/dev/zero as an ACL', args: ['lint', '/dev/zero'], exit: 65, stderr: /binary data \(a NUL byte at offset 0\), not an ACL file$/, maxRssMiB: 200 },
  { name: '/dev/urandom as an ACL', args: ['replay', MIXED, '--acl', '/dev/urandom', '--subnet', '10.0.0.0/24'], exit: 65, stderr: /\/dev\/urandom: binary data/, maxRssMiB: 200 },
  { name: 'a directory as an ACL', args: ['lint', at('dir')], exit: 66, stderr: /is a directory, not an ACL file$/ },
  { name: 'a symlink loop as an ACL', args: ['lint', at('loop-a')], exit: 66, stderr: /loop-a: too many levels of symbolic links$/ },
  { name: 'AWS JSON nested 100,000 deep', args: ['lint', at('deep.json')], exit: 65, stderr: /deep\.json: \[0\]\[0\]\[0\]\[0\]\[0\]\[0\]\.\.\.: JSON nests more than 100 levels deep$/ },
  { name: 'AWS JSON with a field nested 100,000 deep', args: ['lint', at('deep-field.json')], exit: 65, stderr: /deep-field\.json: NetworkAcls\[0\]\.Entries\[0\]\.Protocol\[0\]\.\.\.: JSON nests more than 100 levels deep$/ },
  { name: 'AWS JSON number out of range', args: ['lint', at('overflow.json')], exit: 65, stderr: /PortRange\.From: port \(a number out of range\) outside 0-65535$/ },
  { name: 'AWS JSON 5 MB value: a short line', args: ['lint', at('long-value.json')], exit: 65, stderr: oneLine(/^.{0,400}\(5000000 characters\).{0,100}$/) },
  { name: 'AWS RuleNumber 32767 allow', args: ['lint', at('rule-32767.json')], exit: 65, stderr: /rule number 32767 out of range 1-32766/ },
  { name: 'native YAML alias bomb', args: ['lint', at('native-bomb.yaml')], exit: 65, stderr: /native-bomb\.yaml: YAML aliases expand to more than 1000 nodes/ },
  { name: 'native YAML nested 50,000 deep', args: ['lint', at('native-deep.yaml')], exit: 65, stderr: /native-deep\.yaml:1: YAML nests more than 100 levels deep$/ },
  { name: 'native YAML unknown tag', args: ['lint', at('native-tag.yaml')], exit: 65, stderr: /native-tag\.yaml:3: unknown YAML tag !Include/ },
  { name: 'CloudFormation YAML alias bomb', args: ['replay', MIXED, '--acl', at('cfn-bomb.yaml'), '--subnet', '10.0.0.0/24'], exit: 65, stderr: /cfn-bomb\.yaml: YAML aliases expand/ },
  { name: 'CloudFormation Conditions in a loop', args: ['lint', at('cfn-loop.yaml')], exit: 65, stderr: /Conditions\.A: Conditions refer to each other in a loop: A -> B -> A$/ },
  { name: 'CloudFormation YAML !If nested 90 deep', args: ['lint', at('cfn-if.yaml')], exit: 65, stderr: /Resources\.E\.Properties\.RuleNumber: intrinsic functions, lists and mappings nest more than 64 levels deep$/ },
  { name: 'CloudFormation JSON Fn::If nested 20,000 deep', args: ['lint', at('cfn-if.json')], exit: 65, stderr: /cfn-if\.json: Resources\.E\.Properties\.RuleNumber\.Fn::If\[1\]\.\.\.: JSON nests more than 100 levels deep$/ },
  { name: 'terraform plan with child_modules 20,000 deep', args: ['lint', at('tf-plan-deep.json')], exit: 65, stderr: /tf-plan-deep\.json: planned_values\.root_module\.child_modules\[0\]\.child_modules\[0\]\.\.\.: JSON nests more than 100 levels deep$/ },
  { name: '.tf list nested 20,000 deep', args: ['lint', at('deep-list.tf')], exit: 65, stderr: /deep-list\.tf:3: not valid HCL: expressions or blocks nest more than 64 levels deep$/ },
  { name: '.tf interpolation nested 5,000 deep', args: ['lint', at('deep-interp.tf')], exit: 65, stderr: /deep-interp\.tf:3: not valid HCL: .*nest more than 64 levels deep$/ },
  { name: '.tf locals in a loop', args: ['lint', at('locals-loop.tf')], exit: 65, stderr: /locals refer to each other in a loop: local\.a -> local\.b -> local\.a$/ },
  { name: 'ClassBench past the rule limit', args: ['lint', at('many.rules')], exit: 65, stderr: /65535 inbound rules; at most 65534 per direction$/ },
  { name: 'ClassBench 5 MB line: a short line', args: ['lint', at('long-line.rules')], exit: 65, stderr: /^.{0,300}$/ },
  { name: 'ClassBench trace /dev/zero', args: ['bench', '--acl', `${GOOD_ACL}#web-nacl`, '--trace', '/dev/zero'], exit: 65, stderr: /not a ClassBench trace file$/ },
  { name: 'bench on 0 packets', args: ['bench', '--acl', `${GOOD_ACL}#web-nacl`, '--trace', at('empty.trace')], exit: 0, check: (r) => expect(r.stdout).toContain('nothing to measure') },
  { name: 'topology alias bomb', args: ['replay', MIXED, '--topology', at('topology-bomb.yaml')], exit: 65, stderr: /topology-bomb\.yaml: YAML aliases expand/ },
  { name: 'topology /dev/zero', args: ['replay', MIXED, '--topology', '/dev/zero'], exit: 65, stderr: /binary data .*not a topology file$/ },
  { name: 'topology nested 50,000 deep', args: ['replay', MIXED, '--topology', at('topology-deep.yaml')], exit: 65, stderr: /YAML nests more than 100 levels deep$/ },
  { name: 'topology unknown tag', args: ['replay', MIXED, '--topology', at('topology-tag.yaml')], exit: 65, stderr: /topology-tag\.yaml:2: unknown YAML tag !Env$/ },
  { name: 'describe-subnets /dev/zero', args: ['replay', MIXED, '--acl', GOOD_ACL, '--subnets', '/dev/zero'], exit: 65, stderr: /not a describe-subnets file$/ },
  { name: 'describe-subnets bad CIDR names the subnets file', args: ['replay', MIXED, '--acl', GOOD_ACL, '--subnets', at('subnets-bad.json')], exit: 65, stderr: /subnets-bad\.json: Subnets\[0\]\.CidrBlock: invalid CIDR '10\.0\.0\.0\/33'/ },
  { name: 'describe-subnets nested 100,000 deep', args: ['replay', MIXED, '--acl', GOOD_ACL, '--subnets', at('subnets-deep.json')], exit: 65, stderr: /subnets-deep\.json: Subnets\[0\]\[0\]\[0\]\[0\]\[0\]\.\.\.: JSON nests more than 100 levels deep$/ },

  // Terminal escapes: escaped on stderr, exact in JSON.
  {
    name: 'an ACL id with terminal escapes in the --fail-on line',
    args: ['replay', MIXED, '--acl', at('escape.yaml'), '--subnet', '10.0.2.0/24', '--fail-on', 'return-blocked', '-F', 'json'],
    exit: 3,
    stderr: /^--fail-on matched: \\x1b\[2J\\x1b\]0;OWNED\\x07\\u202e: \d+ connections? return-blocked$/,
    check: (r) => expect(JSON.parse(r.stdout).acls[0].acl).toBe(ESC_ID),
  },
  { name: 'a file name with terminal escapes in an error', args: ['lint', at(`name-${ESC_ID}.json`)], exit: 65, stderr: /name-\\x1b\[2J\\x1b\]0;OWNED\\x07\\u202e\.json(:\d+)?: not valid JSON/ },
];

const results = new Map<string, MeasuredResult>();

beforeAll(async () => {
  execFileSync(process.execPath, [join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: REPO_ROOT });
  fixtures();
  // Two children at a time: the machine has two cores.
  const queue = [...CASES];
  const worker = async () => {
    for (let c = queue.shift(); c; c = queue.shift()) {
      c.before?.();
      results.set(c.name, await runCliMeasured(c.args, { timeoutMs: 60_000 }));
    }
  };
  await Promise.all([worker(), worker()]);
}, 240_000);

afterAll(() => rmSync(D, { recursive: true, force: true }));

let rssNoted = false;
describe('hostile input through the CLI', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const r = results.get(c.name)!;
      const lines = r.stderr.split('\n').filter((l) => l.length > 0);
      expect({ exit: r.status, stderr: r.stderr }).toMatchObject({ exit: c.exit });
      expect(r.stderr).not.toMatch(/^\s+at .*:\d+:\d+\)?$/m);
      expect(r.stderr).not.toContain('internal error');
      expect(r.stderr).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
      if (c.stderr) {
        expect(lines).toHaveLength(1);
        expect(lines[0]!.startsWith('aclreplay: ')).toBe(true);
        expect(lines[0]!.slice('aclreplay: '.length)).toMatch(c.stderr);
      } else expect(lines).toEqual([]);
      expect(r.ms).toBeLessThan(c.maxMs ?? 20_000);
      if (r.maxRssKiB === null) {
        if (!rssNoted) process.stderr.write('SKIP peak-memory assertions: the child did not report process.resourceUsage().maxRSS\n');
        rssNoted = true;
      } else expect(r.maxRssKiB / 1024).toBeLessThan(c.maxRssMiB ?? 400);
      c.check?.(r);
    });
  }
});

// ---- in-process property: any ACL file content ends in a documented exit code -----------------------------------

/** Run main() here, capturing stdout and stderr; resolves to the exit code and stderr. */
async function runHere(args: string[]): Promise<{ code: number; stderr: string }> {
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  let stderr = '';
  const sink = (_chunk: unknown, enc?: unknown, cb?: unknown): boolean => {
    const done = typeof enc === 'function' ? enc : cb;
    if (typeof done === 'function') (done as () => void)();
    return true;
  };
  process.stdout.write = sink as typeof process.stdout.write;
  process.stderr.write = ((chunk: unknown, enc?: unknown, cb?: unknown) => {
    stderr += String(chunk);
    return sink(chunk, enc, cb);
  }) as typeof process.stderr.write;
  try {
    const code = await main(['node', 'aclreplay', ...args]);
    return { code, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
    process.exitCode = undefined;
  }
}

/** Real ACL files to mutate: the fixtures, and the corpus NACLs when the corpus is there. */
function seedFiles(): string[] {
  const files = readdirSync(FIXTURES).map((f) => join(FIXTURES, f));
  const nacl = join(CORPUS_DIR, 'nacl');
  if (corpusAvailable()) files.push(...readdirSync(nacl).filter((f) => /\.(json|ya?ml|tf)$/.test(f)).map((f) => join(nacl, f)));
  else process.stderr.write(`SKIP hostile property over corpus NACLs: corpus not found at ${CORPUS_DIR} (fixtures only)\n`);
  return files;
}

const TOKENS = ['&a ', '*a', '!!binary ', '!Ref ', '{', '[', ']]]', '"', "'", '\n  - ', ': ', '1e309', '-0', '0x', '\u202e', '\x1b[2J', '\0', '${', '%{', '<<EOF\n', '#', '\t', '@', '::', '/33', '32767', '99999999999999999999', '\r\n'];

function contentArb(seeds: string[]): fc.Arbitrary<{ ext: string; bytes: Uint8Array }> {
  const random = fc.record({ ext: fc.constantFrom('.json', '.yaml', '.tf', '.rules'), bytes: fc.uint8Array({ maxLength: 2048 }) });
  const mutated = fc
    .record({
      seed: fc.constantFrom(...seeds),
      ops: fc.array(
        fc.oneof(
          fc.record({ op: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
          fc.record({ op: fc.constant('cut' as const), at: fc.nat() }),
          fc.record({ op: fc.constant('dup' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 400 }), times: fc.integer({ min: 1, max: 20 }) }),
          fc.record({ op: fc.constant('insert' as const), at: fc.nat(), token: fc.constantFrom(...TOKENS), times: fc.integer({ min: 1, max: 300 }) }),
        ),
        { minLength: 1, maxLength: 4 },
      ),
    })
    .map(({ seed, ops }) => {
      let b = Buffer.from(readFileSync(seed));
      for (const o of ops) {
        const p = b.length === 0 ? 0 : o.at % b.length;
        if (o.op === 'flip' && b.length > 0) b[p] = o.value;
        else if (o.op === 'cut') b = b.subarray(0, p);
        else if (o.op === 'dup') b = Buffer.concat([b.subarray(0, p), ...Array<Buffer>(o.times).fill(b.subarray(p, p + o.len)), b.subarray(p)]);
        else if (o.op === 'insert') b = Buffer.concat([b.subarray(0, p), Buffer.from(o.token.repeat(o.times)), b.subarray(p)]);
      }
      return { ext: extname(seed) || '.txt', bytes: new Uint8Array(b) };
    });
  return fc.oneof({ weight: 1, arbitrary: random }, { weight: 4, arbitrary: mutated });
}

describe('any ACL file content: lint and replay end with 0, 2, 3 or 65, never 70', () => {
  let n = 0;
  const check = async (bytes: Uint8Array, ext: string, replay: boolean) => {
    const file = at(`fuzz-${n++}${ext}`);
    writeFileSync(file, bytes);
    const r = replay ? await runHere(['replay', MIXED, '--acl', file, '--subnet', '10.0.0.0/24', '-j', '1']) : await runHere(['lint', file]);
    expect([0, 2, 3, 65], `${r.code}: ${r.stderr}`).toContain(r.code);
    expect(r.stderr.split('\n').filter(Boolean).length, r.stderr).toBeLessThanOrEqual(replay ? 2 : 1);
    expect(r.stderr).not.toMatch(/internal error|^\s+at /m);
    rmSync(file, { force: true });
  };

  it('lint', async () => {
    await fc.assert(fc.asyncProperty(contentArb(seedFiles()), ({ ext, bytes }) => check(bytes, ext, false)), { numRuns: 150, seed: 1515 });
  }, 120_000);

  it('replay --acl', async () => {
    await fc.assert(fc.asyncProperty(contentArb(seedFiles()), ({ ext, bytes }) => check(bytes, ext, true)), { numRuns: 40, seed: 1516 });
  }, 120_000);
});
