/**
 * ACL writers: every output re-imports through our importers (src/acl/formats, sniffed by parseAclText as a user's
 * file would be) to the same ACL: the same rules in the same order with the same fields, and whatever metadata the
 * format carries. On the fixtures, the corpus NACLs and random ACLs.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildAwsAcl, type EntrySpec } from '../../src/acl/formats/entries.js';
import { loadAcls, parseAclText, type LoadOptions } from '../../src/acl/load.js';
import { emitAcls, type EmitFormat } from '../../src/acl/emit/index.js';
import { formatCidr, maskWords, type Acl, type Rule } from '../../src/acl/model.js';
import { AclNotExpressibleError } from '../../src/errors.js';
import { describeCorpus } from '../helpers/corpus.js';
import { FIXTURES, NACL } from './helpers.js';

const FORMATS: EmitFormat[] = ['aws', 'yaml', 'terraform', 'cloudformation'];
/** The name a user would give each output (the .tf one matters: HCL is sniffed by extension or content). */
const FILE: Record<EmitFormat, string> = { aws: 'out.json', yaml: 'out.yaml', terraform: 'out.tf', cloudformation: 'out.cfn.yaml' };
/** The format the importer must recognise the output as. */
const READ_AS: Record<EmitFormat, Acl['format']> = { aws: 'aws', yaml: 'yaml', terraform: 'terraform', cloudformation: 'cloudformation' };

/** Every field that decides what a rule matches and does; origin and description are where it came from. */
function fields(r: Rule) {
  return {
    ruleNumber: r.ruleNumber,
    action: r.action,
    family: r.family,
    protocol: r.protocol,
    protocolMask: r.protocolMask,
    src: formatCidr(r.src),
    dst: formatCidr(r.dst),
    srcPorts: r.srcPorts,
    dstPorts: r.dstPorts,
    icmpType: r.icmpType,
    icmpCode: r.icmpCode,
    tcpFlags: r.tcpFlags,
  };
}

function reimport(format: EmitFormat, acls: Acl[], opts: LoadOptions = {}): { text: string; back: Acl[] } {
  const text = emitAcls(format, acls);
  const back = parseAclText(text, FILE[format], opts);
  return { text, back };
}

/** Assert that `back` is `acl` as far as `format` carries it. */
function expectSame(format: EmitFormat, acl: Acl, back: Acl, text: string): void {
  const ctx = `${format} output of ${acl.id}:\n${text}`;
  expect(back.format, ctx).toBe(READ_AS[format]);
  for (const dir of ['inbound', 'outbound'] as const) expect(back[dir].map(fields), ctx).toEqual(acl[dir].map(fields));
  const withName = { ...acl.tags, ...(acl.name !== null && acl.tags.Name === undefined ? { Name: acl.name } : {}) };
  if (format === 'yaml') {
    expect(back.id, ctx).toBe(acl.id);
    expect(back.name, ctx).toBe(acl.name ?? acl.tags.Name ?? null);
    expect(back.tags, ctx).toEqual(acl.tags);
    expect(back.associations, ctx).toEqual([...new Set(acl.associations.map((a) => a.cidr).filter((c) => c !== null))].map((cidr) => ({ subnetId: null, cidr })));
    for (const dir of ['inbound', 'outbound'] as const) back[dir].forEach((r, i) => r.ruleNumber !== '*' && expect(r.description, ctx).toBe(acl[dir][i]!.description));
    return;
  }
  expect(back.tags, ctx).toEqual(withName);
  expect(back.name, ctx).toBe(withName.Name ?? null);
  const subnets = [...new Set(acl.associations.map((a) => a.subnetId).filter((s) => s !== null))];
  if (format === 'aws') {
    expect(back.id, ctx).toBe(acl.id);
    expect(back.associations, ctx).toEqual(subnets.map((subnetId) => ({ subnetId, cidr: null })));
  } else if (format === 'cloudformation') {
    expect(back.id, ctx).toMatch(/^[A-Za-z][A-Za-z0-9]*$/);
    expect(back.associations, ctx).toEqual(subnets.map((subnetId) => ({ subnetId, cidr: null })));
  } else {
    expect(back.id, ctx).toMatch(/^aws_network_acl\.[A-Za-z_][A-Za-z0-9_-]*$/);
  }
}

function roundTrip(acls: Acl[], opts: LoadOptions = {}): void {
  for (const format of FORMATS) {
    const { text, back } = reimport(format, acls, opts);
    expect(back.length, text).toBe(acls.length);
    // Different ACLs keep different ids in every format (the importers key ACLs by them).
    expect(new Set(back.map((a) => a.id)).size).toBe(acls.length);
    acls.forEach((acl, i) => expectSame(format, acl, back[i]!, text));
  }
}

describe('writers on literal ACLs', () => {
  const classic = loadAcls(join(FIXTURES, '..', '..', '..', 'examples', 'classic-return.yaml'));

  it('describe-network-acls: entries in the API field names, no * entries, Name tag from the name', () => {
    const doc = JSON.parse(emitAcls('aws', classic)) as { NetworkAcls: { NetworkAclId: string; Entries: Record<string, unknown>[]; Tags: unknown[] }[] };
    const acl = doc.NetworkAcls[0]!;
    expect(acl.NetworkAclId).toBe('classic-return');
    expect(acl.Tags).toEqual([{ Key: 'Name', Value: 'web tier, return traffic to 32768-65535 only' }]);
    expect(acl.Entries).toHaveLength(13);
    expect(acl.Entries.some((e) => e.RuleNumber === 32767 || e.RuleNumber === 32768)).toBe(false);
    expect(acl.Entries).toContainEqual({ CidrBlock: '0.0.0.0/0', Egress: false, PortRange: { From: 80, To: 80 }, Protocol: '6', RuleAction: 'allow', RuleNumber: 100 });
    expect(acl.Entries).toContainEqual({ Egress: false, IcmpTypeCode: { Code: -1, Type: -1 }, Ipv6CidrBlock: '::/0', Protocol: '58', RuleAction: 'allow', RuleNumber: 131 });
    expect(acl.Entries).toContainEqual({ CidrBlock: '0.0.0.0/0', Egress: true, IcmpTypeCode: { Code: -1, Type: -1 }, Protocol: '1', RuleAction: 'allow', RuleNumber: 120 });
  });

  it('native YAML: one flow mapping per rule, IPv6 CIDRs quoted, descriptions kept', () => {
    const text = emitAcls('yaml', classic);
    expect(text).toContain('      - { rule: 100, proto: tcp, ports: 80, cidr: 0.0.0.0/0, action: allow, description: http }\n');
    expect(text).toContain('      - { rule: 101, proto: tcp, ports: 32768-65535, cidr: "::/0", action: allow }\n');
    expect(text).toContain('      - { rule: 131, proto: icmpv6, cidr: "::/0", action: allow }\n');
  });

  it('Terraform: inline blocks with from_port/to_port 0 where ports do not apply, icmp_type/icmp_code, var.vpc_id', () => {
    const text = emitAcls('terraform', classic);
    expect(text).toContain('variable "vpc_id" {\n  type = string\n}\n');
    expect(text).toContain('resource "aws_network_acl" "classic-return" {\n  vpc_id = var.vpc_id\n');
    expect(text).toContain(
      '  ingress {\n    rule_no         = 131\n    action          = "allow"\n    protocol        = "58"\n    ipv6_cidr_block = "::/0"\n    from_port       = 0\n    to_port         = 0\n    icmp_type       = -1\n    icmp_code       = -1\n  }\n',
    );
    expect(emitAcls('terraform', classic, { vpcId: 'vpc-0123' })).not.toContain('variable');
  });

  it('CloudFormation: NetworkAcl + NetworkAclEntry resources with !Ref, the VpcId parameter, YAML 1.1-safe strings', () => {
    const text = emitAcls('cloudformation', classic);
    expect(text).toContain('AWSTemplateFormatVersion: "2010-09-09"\n');
    expect(text).toContain('  ClassicReturn:\n    Type: AWS::EC2::NetworkAcl\n    Properties:\n      VpcId: !Ref VpcId\n');
    expect(text).toContain(
      '  ClassicReturnEgress101:\n    Type: AWS::EC2::NetworkAclEntry\n    Properties:\n      NetworkAclId: !Ref ClassicReturn\n      RuleNumber: 101\n      Protocol: 6\n      RuleAction: allow\n      Egress: true\n      Ipv6CidrBlock: "::/0"\n      PortRange: { From: 32768, To: 65535 }\n',
    );
  });

  it('strings that need escaping survive every format', () => {
    const [acl] = parseAclText(
      [
        'acls:',
        '  - id: "odd ${id} %{x} \\"q\\" \\\\ yes"',
        '    name: "on"',
        '    tags: { "k: v": "0o17", "#": "2010-09-09", Owner: "line1\\nline2\\ttab" }',
        '    inbound:',
        '      - { rule: 7, proto: 47, cidr: 192.0.2.0/24, action: deny, description: "yes # not a comment" }',
        '    outbound: []',
      ].join('\n'),
      'odd.yaml',
    );
    roundTrip([acl!]);
  });

  it('the quota-exceeding 45-rule fixture round-trips when limits are off', () => {
    const acls = loadAcls(join(FIXTURES, 'yaml-45-rules.yaml'), { awsLimits: false });
    roundTrip(acls, { awsLimits: false });
  });
});

describe('what AWS entries cannot express is refused, naming the rule', () => {
  const base = loadAcls(join(FIXTURES, 'native.yaml'))[0]!;
  const first = base.inbound[0]!;
  const cases: [string, (r: Rule) => Rule, RegExp][] = [
    ['source ports', (r) => ({ ...r, srcPorts: [1024, 2048] }), /ingress rule 100: source ports 1024-2048/],
    ['TCP flags', (r) => ({ ...r, tcpFlags: { value: 2, mask: 0x12 } }), /ingress rule 100: TCP flags/],
    ['a protocol mask', (r) => ({ ...r, protocolMask: 0xf0 }), /protocol mask 0xf0/],
    ['a destination CIDR on ingress', (r) => ({ ...r, dst: { family: 4, words: [0x0a000000, 0, 0, 0], prefix: 8 } }), /destination 10.0.0.0\/8/],
    ['rule number 0', (r) => ({ ...r, ruleNumber: 0 }), /rule number outside 1-32766/],
  ];
  for (const [what, change, message] of cases) {
    it(what, () => {
      const acl: Acl = { ...base, inbound: [change(first), ...base.inbound.slice(1)] };
      for (const format of FORMATS) expect(() => emitAcls(format, [acl])).toThrow(message);
      expect(() => emitAcls('aws', [acl])).toThrow(AclNotExpressibleError);
    });
  }

  it('rules out of rule-number order, and a duplicate number', () => {
    const swapped: Acl = { ...base, inbound: [base.inbound[1]!, base.inbound[0]!, ...base.inbound.slice(2)] };
    expect(() => emitAcls('yaml', [swapped])).toThrow(/ingress rule 100 follows rule 101: AWS evaluates rules in ascending number/);
    const dup: Acl = { ...base, inbound: [first, { ...base.inbound[1]!, ruleNumber: 100 }, ...base.inbound.slice(2)] };
    expect(() => emitAcls('aws', [dup])).toThrow(/duplicate rule number/);
  });

  it('a ClassBench rule set (source ports, no actions AWS knows as entries)', () => {
    const [cb] = loadAcls(join(FIXTURES, 'classbench-tabs-crlf.rules'));
    expect(() => emitAcls('aws', [cb!])).toThrow(AclNotExpressibleError);
  });
});

describe('round trips on the fixtures', () => {
  const files: [string, LoadOptions][] = [
    ['aws-good.json', {}],
    ['native.yaml', {}],
    ['lint-cases.yaml', {}],
    ['yaml-25-rules.yaml', {}],
    ['tf-plan.json', {}],
    ['tf-state.json', {}],
    ['nacl.tf', { params: { vpc_cidr: '10.0.0.0/16' } }],
    ['cfn-template.json', { params: { Env: 'dev', AdminCidr: '198.51.100.0/24' } }],
  ];
  for (const [file, opts] of files) {
    it(file, () => roundTrip(loadAcls(join(FIXTURES, file), opts)));
  }
  it('examples/*.yaml', () => {
    const dir = join(FIXTURES, '..', '..', '..', 'examples');
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.yaml'))) roundTrip(loadAcls(join(dir, f)));
  });
});

describeCorpus('round trips on the corpus NACLs', () => {
  const PRX = { VpcCidrBlock: '10.1.0.0/16', VpcIpv6CidrBlocks: '2600:1f18:aaaa:bb00::/56,2600:1f18:aaaa:cc00::/56' };
  const files: [string, LoadOptions][] = [
    ['01_awscli-example_describe-network-acls.json', {}],
    ['03_devopsacademy_afaryy_describe-network-acls.json', {}],
    ['04_devopsacademy_frdvo_describe-network-acls_1.json', {}],
    ['04_devopsacademy_frdvo_describe-network-acls_2.json', {}],
    ['04_devopsacademy_frdvo_describe-network-acls_3.json', {}],
    ['05_PRX_cfn_public-network-acl.yml', { params: PRX }],
    ['06_PRX_cfn_private-network-acl.yml', { params: PRX }],
    ['07_aws-cfn-templates_VPC_With_Managed_NAT_And_Private_Subnet.yaml', {}],
    ['09_devopsacademy_jayanath_vpc.tf', {}],
  ];
  for (const [file, opts] of files) {
    it(file, () => {
      const acls = loadAcls(join(NACL, file), opts);
      expect(acls.length).toBeGreaterThan(0);
      roundTrip(acls);
    });
  }
});

// ---------------------------------------------------------------- random ACLs

const ODD_STRINGS = ['${x}', '%{if a}', '"', '\\', 'a\nb', 'yes', 'on', '~', '::', ' lead', 'trail ', '# x', '- x', 'k: v', '0o17', '1e3', '2010-09-09', ''];
const text = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: 'grapheme', maxLength: 6 }), fc.constantFrom(...ODD_STRINGS));

const cidrArb = fc.constantFrom<4 | 6>(4, 6).chain((family) =>
  fc
    .record({
      words: fc.tuple(fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff })),
      prefix: fc.oneof(fc.constant(0), fc.constant(family === 4 ? 32 : 128), fc.integer({ min: 0, max: family === 4 ? 32 : 128 })),
    })
    .map(({ words, prefix }) => formatCidr({ family, words: maskWords(family, family === 4 ? [words[0], 0, 0, 0] : words, prefix), prefix })),
);

const entryArb = fc.record({
  protocol: fc.oneof(fc.constantFrom(-1, 6, 17, 1, 58), fc.integer({ min: 0, max: 255 })),
  protoText: fc.boolean(),
  action: fc.constantFrom('allow', 'deny'),
  cidr: cidrArb,
  ports: fc.tuple(fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 0, max: 65535 })).map(([a, b]) => (a <= b ? [a, b] : [b, a])),
  icmpType: fc.integer({ min: -1, max: 255 }),
  icmpCode: fc.integer({ min: -1, max: 255 }),
  description: fc.option(text, { nil: undefined }),
});

const direction = fc.uniqueArray(fc.integer({ min: 1, max: 32766 }), { maxLength: 24 }).chain((numbers) => fc.tuple(...numbers.map((n) => entryArb.map((e) => ({ n, ...e })))));

const aclArb = fc
  .record({
    id: text,
    name: fc.option(text, { nil: null }),
    nameAsTag: fc.boolean(),
    tags: fc.dictionary(text, text, { maxKeys: 3 }),
    subnetIds: fc.uniqueArray(fc.stringMatching(/^subnet-[0-9a-f]{8}$/), { maxLength: 2 }),
    cidrs: fc.uniqueArray(cidrArb, { maxLength: 2 }),
    inbound: direction,
    outbound: direction,
  })
  .map((a): Acl => {
    const specs: EntrySpec[] = [];
    for (const [list, egress] of [
      [a.inbound, false],
      [a.outbound, true],
    ] as const) {
      for (const e of list) {
        const v6 = e.cidr.includes(':');
        const spec: EntrySpec = {
          ruleNumber: e.n,
          egress,
          protocol: e.protoText && e.protocol === 6 ? 'tcp' : e.protocol,
          action: e.action,
          cidrBlock: v6 ? undefined : e.cidr,
          ipv6CidrBlock: v6 ? e.cidr : undefined,
          hasPorts: e.protocol === 6 || e.protocol === 17,
          portFrom: e.ports[0],
          portTo: e.ports[1],
          icmpType: e.icmpType,
          icmpCode: e.icmpCode,
          where: {},
          field: () => ({}),
        };
        if (e.description !== undefined) spec.description = e.description;
        specs.push(spec);
      }
    }
    const tags = { ...a.tags };
    // The importers take the name from the Name tag; an ACL from any of them has name === tags.Name when both exist.
    if (a.name !== null && a.nameAsTag) tags.Name = a.name;
    const name = tags.Name !== undefined ? tags.Name : a.name;
    const associations = [...a.subnetIds.map((subnetId) => ({ subnetId, cidr: null })), ...a.cidrs.map((cidr) => ({ subnetId: null, cidr }))];
    return buildAwsAcl({ id: a.id, name, file: 'random', format: 'yaml', associations, tags }, specs);
  });

describe('a tag named __proto__ (a legal AWS tag key)', () => {
  it('stays an own tag through every writer and importer (fast-check found it losing it)', () => {
    const [acl] = parseAclText('{"NetworkAcls":[{"NetworkAclId":"a","Entries":[],"Tags":[{"Key":"__proto__","Value":"x"}]}]}', 'a.json');
    expect(Object.keys(acl!.tags)).toEqual(['__proto__']);
    for (const [form, name] of [['aws', 'a.json'], ['yaml', 'a.yaml'], ['terraform', 'a.tf'], ['cloudformation', 'a.cfn.yaml']] as const) {
      const back = parseAclText(emitAcls(form, [acl!]), name)[0]!;
      expect(Object.entries(back.tags), form).toEqual([['__proto__', 'x']]);
    }
  });
});

describe('round trips on random ACLs (IPv4 and IPv6, every protocol, ports, ICMP type/code, rule numbers 1-32766)', () => {
  it('one ACL per file', () => {
    fc.assert(
      fc.property(aclArb, (acl) => {
        roundTrip([acl]);
      }),
      { numRuns: 150 },
    );
  });

  it('several ACLs in one file keep apart', () => {
    fc.assert(
      fc.property(fc.uniqueArray(aclArb, { minLength: 2, maxLength: 3, selector: (a) => a.id }), (acls) => {
        // Distinct ids may still make equal Terraform/CloudFormation names: the writers must number them apart.
        roundTrip(acls);
      }),
      { numRuns: 40 },
    );
  });
});
