import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_EVAL_DEPTH, parseCloudFormation } from '../../src/acl/formats/cloudformation.js';
import { loadAcls, parseAclText } from '../../src/acl/load.js';
import { describeCorpus } from '../helpers/corpus.js';
import { brief, FIXTURES, invalid, NACL, rule } from './helpers.js';

const PRX_PARAMS = { VpcCidrBlock: '10.1.0.0/16', VpcIpv6CidrBlocks: '2600:1f18:aaaa:bb00::/56,2600:1f18:aaaa:cc00::/56' };

describeCorpus('CloudFormation templates from the corpus', () => {
  it('05 PRX public: paired v4/v6 rules, ICMP type with code -1, !Select over a CommaDelimitedList parameter', () => {
    const [acl] = loadAcls(join(NACL, '05_PRX_cfn_public-network-acl.yml'), { params: PRX_PARAMS });
    expect(acl!.id).toBe('PublicNetworkAcl');
    expect(acl!.format).toBe('cloudformation');
    expect(acl!.inbound.filter((r) => r.ruleNumber !== '*')).toHaveLength(16);
    expect(acl!.outbound.filter((r) => r.ruleNumber !== '*')).toHaveLength(28);
    expect(brief(rule(acl!, 'inbound', 60))).toMatchObject({ action: 'allow', proto: 6, src: '0.0.0.0/0', dport: [1024, 65535] });
    expect(brief(rule(acl!, 'inbound', 61, 6))).toMatchObject({ proto: 6, src: '::/0', dport: [1024, 65535] });
    expect(brief(rule(acl!, 'inbound', 300))).toMatchObject({ dport: [32768, 61000] });
    expect(brief(rule(acl!, 'inbound', 530))).toMatchObject({ proto: 1, icmp: [0, -1], dport: [0, 65535] });
    expect(brief(rule(acl!, 'inbound', 550))).toMatchObject({ proto: 17, dport: [123, 123] });
    expect(brief(rule(acl!, 'outbound', 200))).toMatchObject({ proto: 6, src: '0.0.0.0/0', dst: '10.1.0.0/16', dport: [3306, 3306] });
    expect(brief(rule(acl!, 'outbound', 201, 6))).toMatchObject({ dst: '2600:1f18:aaaa:bb00::/56', dport: [3306, 3306] });
    expect(brief(rule(acl!, 'outbound', 530))).toMatchObject({ icmp: [8, -1] });
    expect(acl!.outbound.slice(-2).map((r) => [r.ruleNumber, r.family])).toEqual([
      ['*', 4],
      ['*', 6],
    ]);
    expect(rule(acl!, 'inbound', 60).description).toBe('InboudIpV4TcpEphemeralPortsNetworkAclEntry');
  });

  it('05 without parameters: names the resource, the field and the parameter to pass', () => {
    const e = invalid(() => loadAcls(join(NACL, '05_PRX_cfn_public-network-acl.yml')));
    expect(e.path).toBe('Resources.OutboundIpV4MysqlNetworkAclEntry.Properties.CidrBlock');
    expect(e.message).toContain('parameter VpcCidrBlock has no Default (pass --param VpcCidrBlock=VALUE)');
    const e6 = invalid(() => loadAcls(join(NACL, '05_PRX_cfn_public-network-acl.yml'), { params: { VpcCidrBlock: '10.1.0.0/16' } }));
    expect(e6.path).toBe('Resources.OutboundIpV6MysqlNetworkAclEntry.Properties.Ipv6CidrBlock');
    expect(e6.message).toContain('VpcIpv6CidrBlocks');
  });

  it('06 PRX private: Lambda range 1024-65535 from the VPC, IPv6 rules on the VPC block', () => {
    const [acl] = loadAcls(join(NACL, '06_PRX_cfn_private-network-acl.yml'), { params: PRX_PARAMS });
    expect(acl!.id).toBe('PrivateNetworkAcl');
    expect(brief(rule(acl!, 'inbound', 140))).toMatchObject({ action: 'allow', proto: 6, src: '0.0.0.0/0', dport: [1024, 65535] });
    const v6 = acl!.inbound.filter((r) => r.family === 6 && r.ruleNumber !== '*');
    expect(v6.some((r) => brief(r).src === '2600:1f18:aaaa:bb00::/56')).toBe(true);
    expect(acl!.inbound.length + acl!.outbound.length - 4).toBeGreaterThan(20);
  });

  it('07: string numbers and string booleans; Protocol -1 ignores its PortRange; name from !Join; associations from subnet resources', () => {
    const [acl] = loadAcls(join(NACL, '07_aws-cfn-templates_VPC_With_Managed_NAT_And_Private_Subnet.yaml'));
    expect(acl!.name).toBe('VPC Public and Private with NAT-public-nacl');
    expect(brief(rule(acl!, 'inbound', 100))).toMatchObject({ action: 'allow', proto: 'all', dport: [0, 65535] });
    expect(brief(rule(acl!, 'outbound', 100))).toMatchObject({ action: 'allow', proto: 'all', dst: '0.0.0.0/0' });
    expect(acl!.associations).toEqual([
      { subnetId: 'PublicSubnet0', cidr: '10.0.0.0/24' },
      { subnetId: 'PublicSubnet1', cidr: '10.0.1.0/24' },
    ]);
    expect(acl!.warnings).toEqual([]);
  });
});

describe('CloudFormation fixtures', () => {
  it('JSON template: Fn::FindInMap, Fn::If on a condition, Fn::Select of a list default, Fn::Sub tag, Condition-gated entries', () => {
    const [acl] = loadAcls(join(FIXTURES, 'cfn-template.json'));
    expect(acl!.name).toBe('prod-acl');
    expect(acl!.inbound.map((r) => r.ruleNumber)).toEqual([100, 110, '*', '*']);
    expect(brief(rule(acl!, 'inbound', 100))).toMatchObject({ proto: 6, src: '192.0.2.0/24', dport: [22, 22] });
    expect(brief(rule(acl!, 'inbound', 110))).toMatchObject({ proto: 6 });
    expect(brief(rule(acl!, 'outbound', 101, 6))).toMatchObject({ proto: 58, dst: '2001:db8:2::/56', icmp: [128, -1] });
  });

  it('parameters override defaults and flip conditions', () => {
    const [acl] = loadAcls(join(FIXTURES, 'cfn-template.json'), { params: { Env: 'dev', AdminCidr: '198.51.100.0/24' } });
    expect(acl!.name).toBe('dev-acl');
    expect(acl!.inbound.map((r) => r.ruleNumber)).toEqual([90, 100, 110, '*', '*']);
    expect(brief(rule(acl!, 'inbound', 110))).toMatchObject({ proto: 17 });
    expect(brief(rule(acl!, 'inbound', 100))).toMatchObject({ src: '198.51.100.0/24' });
  });

  it('!Select over !GetAtt without a parameter is an error naming the resource and field', () => {
    const e = invalid(() => loadAcls(join(FIXTURES, 'cfn-unresolvable.yaml')));
    expect(e.path).toBe('Resources.V6In.Properties.Ipv6CidrBlock');
    expect(e.message).toContain('!GetAtt');
  });
});

describe('CloudFormation templates that cannot be evaluated', () => {
  const acl = (extra: string) => `Resources:\n  Acl:\n    Type: AWS::EC2::NetworkAcl\n${extra}`;
  const entry = (ruleNumber: string) =>
    acl(`  E:\n    Type: AWS::EC2::NetworkAclEntry\n    Properties:\n      NetworkAclId: !Ref Acl\n      RuleNumber: ${ruleNumber}\n      Protocol: -1\n      RuleAction: allow\n      CidrBlock: 0.0.0.0/0\n`);

  it('Conditions that refer to each other in a loop: an error naming the chain', () => {
    const yaml = `Conditions:\n  A: !Condition B\n  B: !Not [!Condition C]\n  C: !Condition A\n${acl('    Condition: A\n')}`;
    const e = invalid(() => parseAclText(yaml, 'loop.yaml'));
    expect(e.message).toBe('loop.yaml: Conditions.A: Conditions refer to each other in a loop: A -> B -> C -> A');
    const self = invalid(() => parseAclText(`Conditions:\n  S: !Condition S\n${entry('!If [S, 1, 2]')}`, 'self.yaml'));
    expect(self.message).toBe('self.yaml: Conditions.S: Conditions refer to each other in a loop: S -> S');
  });

  it('deeply nested !If and long chains of conditions: a depth limit naming the resource and field', () => {
    const n = 5_000;
    const nested = `${'!If [c, '.repeat(60)}1${', 2]'.repeat(60)}`;
    let deepIf: unknown = 1;
    for (let i = 0; i < n; i++) deepIf = { 'Fn::If': ['c', deepIf, 2] };
    const doc = {
      Conditions: { c: { 'Fn::Equals': ['a', 'a'] } },
      Resources: { Acl: { Type: 'AWS::EC2::NetworkAcl' }, E: { Type: 'AWS::EC2::NetworkAclEntry', Properties: { NetworkAclId: { Ref: 'Acl' }, RuleNumber: deepIf, Protocol: -1, RuleAction: 'allow', CidrBlock: '0.0.0.0/0' } } },
    };
    const e = invalid(() => parseCloudFormation(doc, 'deep.json'));
    expect(e.message).toBe(`deep.json: Resources.E.Properties.RuleNumber: intrinsic functions, lists and mappings nest more than ${MAX_EVAL_DEPTH} levels deep`);
    const yamlIf = `Conditions:\n  c: !Equals [a, a]\n${entry(`${'!If [c, '.repeat(90)}1${', 2]'.repeat(90)}`)}`;
    expect(invalid(() => parseAclText(yamlIf, 'deep.yaml')).message).toContain('deep.yaml: Resources.E.Properties.RuleNumber: intrinsic functions, lists and mappings nest more than');
    expect(() => parseAclText(`Conditions:\n  c: !Equals [a, a]\n${entry(nested)}`, 'ok.yaml')).not.toThrow();
    let chain = 'Conditions:\n  C0: !Equals [a, a]\n';
    for (let i = 1; i < 3000; i++) chain += `  C${i}: !Not [!Condition C${i - 1}]\n`;
    const c = invalid(() => parseAclText(chain + acl('    Condition: C2999\n'), 'chain.yaml'));
    expect(c.path).toBe('Resources.Acl.Condition');
    expect(c.message).toContain('nest more than');
  });

  it('!Sub and !Join that would build huge strings stop with an error', () => {
    const big = 'x'.repeat(100_000);
    const yaml = `Parameters:\n  P: {Type: String, Default: ${big}}\n${acl(`    Properties:\n      Tags:\n        - {Key: Name, Value: !Sub "${'${P}'.repeat(20)}"}\n`)}`;
    expect(invalid(() => parseAclText(yaml, 'sub.yaml')).message).toContain('sub.yaml: Resources.Acl.Properties.Tags: !Sub builds a string of more than');
  });
});
