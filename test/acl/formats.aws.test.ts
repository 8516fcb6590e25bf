import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAcls, loadSubnets, parseAclText, resolveAssociations } from '../../src/acl/load.js';
import { MAX_JSON_DEPTH } from '../../src/acl/formats/aws.js';
import { describeCorpus } from '../helpers/corpus.js';
import { brief, FIXTURES, invalid, NACL, rule } from './helpers.js';

describeCorpus('AWS describe-network-acls on the corpus', () => {
  it('01: both default NACLs, IPv6 rule 101 and both implicit denies, associations kept', () => {
    const acls = loadAcls(join(NACL, '01_awscli-example_describe-network-acls.json'));
    expect(acls.map((a) => a.id)).toEqual(['acl-0ea1f54ca7EXAMPLE', 'acl-0e2a78e4e2EXAMPLE']);
    const [a, b] = acls as [typeof acls[0], typeof acls[0]];
    expect(a.associations).toEqual([{ subnetId: 'subnet-0931fc2fa5EXAMPLE', cidr: null }]);
    expect(a.inbound.map((r) => [r.ruleNumber, r.family, r.action])).toEqual([
      [100, 4, 'allow'],
      ['*', 4, 'deny'],
      ['*', 6, 'deny'],
    ]);
    expect(brief(rule(b, 'inbound', 101, 6))).toEqual({ n: 101, action: 'allow', family: 6, proto: 'all', src: '::/0', dst: '::/0', sport: [0, 65535], dport: [0, 65535], icmp: [-1, -1] });
    expect(b.outbound.map((r) => r.ruleNumber)).toEqual([100, 101, '*', '*']);
    expect(b.outbound.slice(2).map((r) => r.family)).toEqual([4, 6]);
    expect(a.warnings).toEqual([]);
  });

  it('03: ingress deny TCP 22 from 172.16.200.0/24 before allow-all; egress deny to 180.200.50.0/24 (CIDR is the destination)', () => {
    const [acl] = loadAcls(join(NACL, '03_devopsacademy_afaryy_describe-network-acls.json'));
    expect(acl!.associations).toHaveLength(6);
    expect(brief(acl!.inbound[0]!)).toEqual({ n: 20, action: 'deny', family: 4, proto: 6, src: '172.16.200.0/24', dst: '0.0.0.0/0', sport: [0, 65535], dport: [22, 22], icmp: [-1, -1] });
    expect(brief(acl!.outbound[0]!)).toMatchObject({ n: 30, action: 'deny', proto: 'all', src: '0.0.0.0/0', dst: '180.200.50.0/24' });
    expect(acl!.inbound.map((r) => r.ruleNumber)).toEqual([20, 100, '*', '*']);
  });

  it('04: the same NACL three times as rules were added; rules sorted by number whatever the entry order', () => {
    const sizes = [1, 2, 3].map((k) => loadAcls(join(NACL, `04_devopsacademy_frdvo_describe-network-acls_${k}.json`))[0]!);
    expect(sizes.map((a) => a.inbound.length + a.outbound.length - 4)).toEqual([2, 3, 4]);
    const last = sizes[2]!;
    expect(last.outbound.map((r) => r.ruleNumber)).toEqual([85, 100, '*', '*']);
    expect(brief(rule(last, 'inbound', 200))).toMatchObject({ action: 'deny', proto: 6, src: '172.16.200.0/24', dport: [22, 22] });
  });

  it('file#id picks one ACL; an unknown id lists the ids that exist', () => {
    const f = join(NACL, '01_awscli-example_describe-network-acls.json');
    expect(loadAcls(`${f}#acl-0e2a78e4e2EXAMPLE`).map((a) => a.id)).toEqual(['acl-0e2a78e4e2EXAMPLE']);
    const e = invalid(() => loadAcls(`${f}#acl-nope`));
    expect(e.message).toContain("no ACL 'acl-nope'");
    expect(e.message).toContain('acl-0ea1f54ca7EXAMPLE');
  });

  it('describe-subnets resolves associations to CIDRs (one per CIDR)', () => {
    const acls = loadAcls(join(NACL, '03_devopsacademy_afaryy_describe-network-acls.json'));
    resolveAssociations(acls, loadSubnets(join(FIXTURES, 'subnets.json')));
    const a = acls[0]!.associations;
    expect(a.filter((x) => x.cidr !== null)).toEqual([
      { subnetId: 'subnet-03b9a6d084a3b586b', cidr: '172.31.0.0/20' },
      { subnetId: 'subnet-04709dce111382a62', cidr: '172.31.16.0/20' },
      { subnetId: 'subnet-04709dce111382a62', cidr: '2600:1f18:1:100::/64' },
    ]);
    expect(a.filter((x) => x.cidr === null)).toHaveLength(4);
  });
});

describe('AWS describe-network-acls validation', () => {
  it('imports the good fixture: name from the Name tag, port range on the destination port in both directions', () => {
    const [acl] = loadAcls(join(FIXTURES, 'aws-good.json'));
    expect(acl!.name).toBe('app');
    expect(acl!.tags).toEqual({ Name: 'app' });
    expect(brief(rule(acl!, 'outbound', 100))).toMatchObject({ proto: 6, src: '0.0.0.0/0', dst: '0.0.0.0/0', sport: [0, 65535], dport: [32768, 65535] });
  });

  const cases: [string, string, string][] = [
    ['cidr', 'NetworkAcls[0].Entries[1].CidrBlock', "invalid CIDR '10.0.0.300/8'"],
    ['rulenumber', 'NetworkAcls[0].Entries[1].RuleNumber', 'rule number 40000 out of range 1-32766'],
    ['ports-inverted', 'NetworkAcls[0].Entries[0].PortRange.From', 'port range 500-443 is inverted'],
    ['port-range', 'NetworkAcls[0].Entries[3].PortRange.To', 'port 70000 outside 0-65535'],
    ['protocol', 'NetworkAcls[0].Entries[0].Protocol', "unknown protocol 'tcpx'"],
    ['ipv6-in-v4', 'NetworkAcls[0].Entries[1].CidrBlock', "IPv6 CIDR '::/0' where an IPv4 CIDR belongs"],
    ['duplicate', 'NetworkAcls[0].Entries[1].RuleNumber', 'duplicate ingress rule number 100 (also at NetworkAcls[0].Entries[0])'],
  ];
  for (const [name, path, detail] of cases) {
    it(`bad-aws-${name}.json: names the file, the JSON path and the bad value`, () => {
      const file = join(FIXTURES, `bad-aws-${name}.json`);
      const e = invalid(() => loadAcls(file));
      expect(e.file).toBe(file);
      expect(e.path).toBe(path);
      expect(e.message).toContain(detail);
      expect(e.message.startsWith(`${file}: ${path}: `)).toBe(true);
      expect(e.exitCode).toBe(65);
    });
  }
});

describe('rule numbers, numbers out of range and the subnets file', () => {
  const doc = (entries: object[]) => JSON.stringify({ NetworkAcls: [{ NetworkAclId: 'acl-1', Entries: entries }] });
  const entry = (n: unknown, extra: object = {}) => ({ RuleNumber: n, Protocol: '-1', RuleAction: 'deny', Egress: false, CidrBlock: '0.0.0.0/0', ...extra });

  it("describe output's '*' entries (32767 IPv4, 32768 IPv6 deny-all) are the implicit denies; any other 32767 is an error", () => {
    const [acl] = parseAclText(doc([entry(100, { RuleAction: 'allow' }), entry(32767), entry(32768, { CidrBlock: undefined, Ipv6CidrBlock: '::/0' })]), 'd.json');
    expect(acl!.inbound.map((r) => r.ruleNumber)).toEqual([100, '*', '*']);
    const allow = invalid(() => parseAclText(doc([entry(32767, { RuleAction: 'allow' })]), 'allow.json'));
    expect(allow.message).toMatch(/^allow\.json: NetworkAcls\[0\]\.Entries\[0\]\.RuleNumber: rule number 32767 out of range 1-32766 \(32767 is the '\*' default deny/);
    expect(allow.exitCode).toBe(65);
    expect(invalid(() => parseAclText(doc([entry(32767, { CidrBlock: '10.0.0.0/8' })]), 'narrow.json')).message).toContain('rule number 32767 out of range 1-32766');
    expect(invalid(() => parseAclText(doc([entry(32768)]), 'v4.json')).message).toContain('rule number 32768 out of range 1-32766');
    const yaml = 'acls:\n  - id: a\n    inbound:\n      - { rule: 32767, proto: all, cidr: 0.0.0.0/0, action: deny }\n';
    expect(invalid(() => parseAclText(yaml, 'n.yaml')).message).toMatch(/^n\.yaml:4: .*rule number 32767 out of range 1-32766/);
  });

  it('a number too large for JSON is named as such, not as null', () => {
    const e = invalid(() => parseAclText(doc([entry(1e300, { RuleNumber: 100, PortRange: { From: 1, To: 2 }, Protocol: '6' })]).replace('"To":2', '"To":1e309'), 'big.json'));
    expect(e.message).toBe('big.json: NetworkAcls[0].Entries[0].PortRange.To: port (a number out of range) outside 0-65535');
    expect(e.message).not.toContain('null');
    const n = invalid(() => parseAclText(doc([entry(100)]).replace('"RuleNumber":100', '"RuleNumber":1e309'), 'rn.json'));
    expect(n.message).toBe('rn.json: NetworkAcls[0].Entries[0].RuleNumber: rule number (a number out of range) is not an integer');
  });

  it('echoed values are cut: a 5 MB value gives a short line', () => {
    const e = invalid(() => parseAclText(doc([entry(100, { CidrBlock: 'x'.repeat(5_000_000) })]), 'long.json'));
    expect(e.message.length).toBeLessThan(300);
    expect(e.message).toContain('... (5000000 characters)');
  });

  it('a bad CIDR in a describe-subnets file names that file and the path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aclreplay-subnets-'));
    try {
      const f = join(dir, 'subnets.json');
      writeFileSync(f, JSON.stringify({ Subnets: [{ SubnetId: 'subnet-1', CidrBlock: '10.0.0.0/33' }] }));
      const e = invalid(() => loadSubnets(f));
      expect(e.message).toMatch(new RegExp(`^${f.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: Subnets\\[0\\]\\.CidrBlock: invalid CIDR '10\\.0\\.0\\.0/33'`));
      writeFileSync(f, JSON.stringify({ Subnets: [{ SubnetId: 'subnet-1', CidrBlock: '10.0.0.0/16', Ipv6CidrBlockAssociationSet: [{ Ipv6CidrBlock: '10.1.0.0/16' }] }] }));
      expect(invalid(() => loadSubnets(f)).path).toBe('Subnets[0].Ipv6CidrBlockAssociationSet[0].Ipv6CidrBlock');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('JSON nesting', () => {
  it('past MAX_JSON_DEPTH is refused with the path, wherever it is (a field, a tag, the top)', () => {
    const n = 100_000;
    const deepArr = `${'['.repeat(n)}${']'.repeat(n)}`;
    const field = `{"NetworkAcls": [{"NetworkAclId": "a", "Entries": [{"RuleNumber": 1, "Egress": false, "RuleAction": "allow", "CidrBlock": "0.0.0.0/0", "Protocol": ${deepArr}}]}]}`;
    expect(invalid(() => parseAclText(field, 'f.json')).message).toBe(`f.json: NetworkAcls[0].Entries[0].Protocol[0]...: JSON nests more than ${MAX_JSON_DEPTH} levels deep`);
    const tag = `{"NetworkAcls": [{"NetworkAclId": "a", "Tags": [{"Key": "Name", "Value": ${deepArr}}], "Entries": []}]}`;
    expect(invalid(() => parseAclText(tag, 't.json')).message).toContain('t.json: NetworkAcls[0].Tags[0].Value[0]...: JSON nests');
    const ok = `{"NetworkAcls": [{"NetworkAclId": "a", "Tags": [{"Key": "Name", "Value": ${'['.repeat(90)}${']'.repeat(90)}}], "Entries": []}]}`;
    expect(parseAclText(ok, 'ok.json')[0]!.tags.Name).toContain('[');
  });
});
