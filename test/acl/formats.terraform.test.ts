import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAcls, parseAclText } from '../../src/acl/load.js';
import { parseTerraformJson } from '../../src/acl/formats/terraform.js';
import { describeCorpus } from '../helpers/corpus.js';
import { brief, FIXTURES, invalid, NACL, rule } from './helpers.js';

describe('terraform show -json', () => {
  it('plan: inline ingress/egress, child modules, aws_network_acl_rule linked through configuration references', () => {
    const acls = loadAcls(join(FIXTURES, 'tf-plan.json'));
    expect(acls.map((a) => a.id)).toEqual(['aws_network_acl.main', 'module.edge.aws_network_acl.this[0]']);
    const [main, edge] = acls as [typeof acls[0], typeof acls[0]];
    expect(main.name).toBe('main-nacl');
    expect(brief(rule(main, 'inbound', 100))).toMatchObject({ proto: 6, dport: [443, 443], src: '0.0.0.0/0' });
    expect(brief(rule(main, 'inbound', 101, 6))).toMatchObject({ proto: 'all', src: '::/0', dport: [0, 65535] });
    expect(brief(rule(main, 'inbound', 120))).toMatchObject({ proto: 1, icmp: [3, -1] });
    expect(brief(rule(main, 'outbound', 110))).toMatchObject({ proto: 17, dst: '10.0.0.2/32', dport: [53, 53] });
    expect(edge.inbound.map((r) => [r.ruleNumber, r.action])).toEqual([
      [90, 'deny'],
      [100, 'allow'],
      ['*', 'deny'],
      ['*', 'deny'],
    ]);
    expect(loadAcls(`${join(FIXTURES, 'tf-plan.json')}#edge`).map((a) => a.id)).toEqual(['module.edge.aws_network_acl.this[0]']);
  });

  it('state: rules by network_acl_id, associations from subnet_ids resolved through aws_subnet', () => {
    const [acl] = loadAcls(join(FIXTURES, 'tf-state.json'));
    expect(acl!.id).toBe('aws_network_acl.app');
    expect(acl!.associations).toEqual([
      { subnetId: 'subnet-0123app', cidr: '10.0.1.0/24' },
      { subnetId: 'subnet-0123app', cidr: '2600:1f18:abcd:101::/64' },
    ]);
    expect(brief(rule(acl!, 'outbound', 100))).toMatchObject({ proto: 6, dport: [49152, 65535] });
    expect(brief(rule(acl!, 'outbound', 120, 6))).toMatchObject({ proto: 58, dst: '::/0', icmp: [129, 0] });
  });
});

describe('.tf files', () => {
  it('inline blocks and aws_network_acl_rule with locals, variables (default or --param) and templates', () => {
    const [acl] = loadAcls(join(FIXTURES, 'nacl.tf'), { params: { vpc_cidr: '10.0.0.0/16' } });
    expect(acl!.id).toBe('aws_network_acl.web');
    expect(acl!.name).toBe('web-192.0.2.0/24');
    expect(acl!.inbound.map((r) => r.ruleNumber)).toEqual([90, 100, 200, '*', '*']);
    expect(brief(rule(acl!, 'inbound', 90))).toMatchObject({ proto: 6, src: '192.0.2.0/24', dport: [22, 22] });
    expect(brief(rule(acl!, 'inbound', 100))).toMatchObject({ dport: [443, 443] });
    expect(brief(rule(acl!, 'inbound', 200, 6))).toMatchObject({ action: 'deny', proto: 'all', src: '::/0' });
    expect(brief(rule(acl!, 'outbound', 100))).toMatchObject({ dport: [32768, 60999] });
    expect(brief(rule(acl!, 'outbound', 110))).toMatchObject({ proto: 'all', dst: '10.0.0.0/16' });
  });

  it('a variable without a value names the attribute, the expression and the line', () => {
    const e = invalid(() => loadAcls(join(FIXTURES, 'nacl.tf')));
    expect(e.line).toBe(69);
    expect(e.message).toContain('aws_network_acl_rule.vpc_out: cannot evaluate cidr_block = var.vpc_cidr');
    expect(e.message).toContain('--param vpc_cidr=VALUE');
  });

  it('function calls it cannot evaluate and syntax errors are one-line errors with the line', () => {
    const e = invalid(() => loadAcls(join(FIXTURES, 'bad-expr.tf')));
    expect(e.line).toBe(6);
    expect(e.message).toContain('cidrsubnet');
    const s = invalid(() => loadAcls(join(FIXTURES, 'bad-syntax.tf')));
    expect(s.line).toBe(4);
    expect(s.message).toContain('not valid HCL');
  });
});

describeCorpus('Terraform files from the corpus', () => {
  it('09: inline blocks with protocol "all" and from/to 0 (ports ignored), name from tags', () => {
    const [acl] = loadAcls(join(NACL, '09_devopsacademy_jayanath_vpc.tf'));
    expect(acl!.name).toBe('iac-vpc-nacl');
    expect(acl!.inbound.map((r) => brief(r)).slice(0, 2)).toEqual([
      { n: 300, action: 'allow', family: 4, proto: 'all', src: '10.0.0.0/16', dst: '0.0.0.0/0', sport: [0, 65535], dport: [0, 65535], icmp: [-1, -1] },
      { n: 400, action: 'allow', family: 4, proto: 'all', src: '121.200.5.90/32', dst: '0.0.0.0/0', sport: [0, 65535], dport: [0, 65535], icmp: [-1, -1] },
    ]);
    expect(brief(rule(acl!, 'outbound', 200))).toMatchObject({ dst: '121.200.5.90/32' });
    expect(acl!.warnings).toEqual([]);
  });

  it('08: ACLs built by a module are reported clearly, pointing to terraform show -json', () => {
    const e = invalid(() => loadAcls(join(NACL, '08_terraform-aws-vpc_examples_network-acls_main.tf')));
    expect(e.message).toContain('module "vpc"');
    expect(e.message).toContain('terraform show -json');
  });
});

describe('hostile Terraform input', () => {
  it('child_modules nested past the limit: an error, not a stack overflow (from text, and from a parsed document)', () => {
    const n = 20_000;
    const text = `{"format_version": "1.0", "values": {"root_module": ${'{"child_modules": ['.repeat(n)}{}${']}'.repeat(n)}}}`;
    expect(invalid(() => parseAclText(text, 'deep.json')).message).toBe('deep.json: values.root_module.child_modules[0].child_modules[0]...: JSON nests more than 100 levels deep');
    let mod: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) mod = { child_modules: [mod] };
    expect(invalid(() => parseTerraformJson({ format_version: '1.0', values: { root_module: mod } }, 'doc.json')).message).toBe('doc.json: child_modules nest more than 64 levels deep');
  });

  it('a .tf file nested too deeply names the line', () => {
    const src = `resource "aws_network_acl" "a" {\n  vpc_id = "v"\n  tags = ${'['.repeat(10_000)}${']'.repeat(10_000)}\n}\n`;
    const e = invalid(() => parseAclText(src, 'deep.tf'));
    expect(e.message).toBe('deep.tf:3: not valid HCL: expressions or blocks nest more than 64 levels deep');
    expect(e.exitCode).toBe(65);
  });
});
