import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAcls, parseAclText } from '../../src/acl/load.js';
import { brief, FIXTURES, invalid, rule } from './helpers.js';

describe('native YAML format', () => {
  it('imports with AWS semantics: sorted numbers, implicit denies, ICMP, IPv6, subnets as associations', () => {
    const acls = loadAcls(join(FIXTURES, 'native.yaml'));
    expect(acls.map((a) => a.id)).toEqual(['web-nacl', 'empty-nacl']);
    const web = acls[0]!;
    expect(web.name).toBe('web tier');
    expect(web.associations).toEqual([
      { subnetId: null, cidr: '10.0.1.0/24' },
      { subnetId: null, cidr: '2600:1f18:abcd:100::/64' },
    ]);
    expect(web.inbound.map((r) => r.ruleNumber)).toEqual([100, 101, 110, 120, 130, 140, '*', '*']);
    expect(brief(rule(web, 'inbound', 101, 6))).toMatchObject({ proto: 6, src: '::/0', dport: [443, 443] });
    expect(brief(rule(web, 'inbound', 120))).toMatchObject({ proto: 1, icmp: [3, 4], dport: [0, 65535] });
    expect(brief(rule(web, 'inbound', 130, 6))).toMatchObject({ proto: 58, icmp: [2, -1] });
    expect(rule(web, 'inbound', 110).description).toBe('return traffic');
    expect(brief(rule(web, 'outbound', 100))).toMatchObject({ dport: [32768, 61000], dst: '0.0.0.0/0' });
    expect(brief(rule(web, 'outbound', 110))).toMatchObject({ proto: 'all', dst: '10.0.0.0/16' });
    expect(acls[1]!.inbound.map((r) => r.ruleNumber)).toEqual(['*', '*']);
  });

  const cases: [string, number, string][] = [
    ['native-bad-cidr.yaml', 5, "invalid CIDR '10.0.0.0/33'"],
    ['native-bad-ports.yaml', 4, 'port range 2000-1000 is inverted'],
    ['native-bad-key.yaml', 4, "unknown rule key 'port_range'"],
    ['native-bad-proto.yaml', 4, "unknown protocol 'quic'"],
  ];
  for (const [file, line, detail] of cases) {
    it(`${file}: error names the line and the bad value`, () => {
      const e = invalid(() => loadAcls(join(FIXTURES, file)));
      expect(e.line).toBe(line);
      expect(e.message).toContain(detail);
      expect(e.message).toContain(`${file}:${line}`);
    });
  }

  it('more than 40 rules per direction and family is an error unless awsLimits is false; more than 20 a warning', () => {
    const e = invalid(() => loadAcls(join(FIXTURES, 'yaml-45-rules.yaml')));
    expect(e.message).toContain('ingress has 45 IPv4 rules; AWS allows at most 40');
    const [big] = loadAcls(join(FIXTURES, 'yaml-45-rules.yaml'), { awsLimits: false });
    expect(big!.warnings.join('\n')).toContain('above the AWS maximum of 40');
    const [medium] = loadAcls(join(FIXTURES, 'yaml-25-rules.yaml'));
    expect(medium!.warnings).toEqual(['medium: ingress has 25 IPv4 rules, above the AWS default quota of 20 (raisable to 40)']);
  });

  it('a single ACL at the top level, ports as a number, proto as a number or -1', () => {
    const [acl] = parseAclText('id: solo\ninbound:\n  - { rule: 5, proto: 17, ports: 53, cidr: 10.0.0.0/8, action: deny }\n  - { rule: 6, proto: -1, cidr: 0.0.0.0/0, action: allow }\n', 'inline.yaml');
    expect(acl!.id).toBe('solo');
    expect(brief(rule(acl!, 'inbound', 5))).toMatchObject({ action: 'deny', proto: 17, dport: [53, 53], src: '10.0.0.0/8' });
    expect(brief(rule(acl!, 'inbound', 6))).toMatchObject({ proto: 'all' });
  });

  it('unrecognized documents say which formats are understood', () => {
    const e = invalid(() => parseAclText('foo: 1\n', 'x.yaml'));
    expect(e.message).toContain('unrecognized YAML ACL format');
    expect(invalid(() => parseAclText('{"Subnets": []}', 'x.json')).message).toContain('--subnets');
    expect(invalid(() => parseAclText('', 'x.json')).message).toContain('empty file');
  });
});

describe('YAML syntax errors name the line', () => {
  it('native YAML and CloudFormation YAML: file:line, the parser message', () => {
    const native = invalid(() => parseAclText('acls:\n  - id: x\n    inbound:\n      - { rule: 100, proto: tcp\n    outbound: []\n', 'n.yaml'));
    expect(native.message).toMatch(/^n\.yaml:[45]: not valid YAML: /);
    const cfn = invalid(() => parseAclText('Resources:\n  A: {Type: x\n', 'c.yaml'));
    expect(cfn.message).toMatch(/^c\.yaml:2: not valid YAML: /);
  });
});
