import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CFN_TAGS } from '../../src/acl/formats/cloudformation.js';
import { loadYamlFile, parseAclText } from '../../src/acl/load.js';
import { MAX_ALIAS_EXPANSION, MAX_YAML_DEPTH, parseYaml } from '../../src/acl/yaml-parse.js';
import { AclInvalidError, ExitCode } from '../../src/errors.js';
import { invalid } from './helpers.js';

/** A "billion laughs" document: nine levels of nine aliases each, under `top`. */
function aliasBomb(top: string, tail = ''): string {
  let s = 'l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
  for (let i = 1; i < 9; i++) s += `l${i}: &l${i} [${Array(9).fill(`*l${i - 1}`).join(',')}]\n`;
  return `${s}${top}: *l8\n${tail}`;
}

const dir = mkdtempSync(join(tmpdir(), 'aclreplay-yaml-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the safe YAML parser', () => {
  it('refuses an alias bomb in native YAML, CloudFormation YAML and a topology, naming the file', () => {
    const native = invalid(() => parseAclText(aliasBomb('acls'), 'bomb.yaml'));
    expect(native.message).toBe(`bomb.yaml: YAML aliases expand to more than ${MAX_ALIAS_EXPANSION} nodes (an alias bomb?); write the values out instead`);
    expect(native.exitCode).toBe(ExitCode.DATA);
    const cfn = aliasBomb('Tags', 'Resources:\n  Acl:\n    Type: AWS::EC2::NetworkAcl\n    Properties:\n      Tags: !Split [",", !Join [",", *l8]]\n');
    expect(invalid(() => parseAclText(cfn, 'cfn.yaml')).message).toContain('cfn.yaml: YAML aliases expand to more than');
    const topo = join(dir, 'topology.yaml');
    writeFileSync(topo, aliasBomb('subnets'));
    expect(invalid(() => loadYamlFile(topo, 'a topology file')).message).toContain(`${topo}: YAML aliases expand to more than`);
  });

  it('keeps ordinary aliases, inside CloudFormation short forms too', () => {
    const doc = parseYaml('base: &b x\nuse: !Join ["-", [*b, *b]]\n', 'a.yaml', { customTags: CFN_TAGS }).value;
    expect(doc).toEqual({ base: 'x', use: { 'Fn::Join': ['-', ['x', 'x']] } });
    const cfn = 'Cidr: &c 10.0.0.0/8\nResources:\n  Acl:\n    Type: AWS::EC2::NetworkAcl\n  E:\n    Type: AWS::EC2::NetworkAclEntry\n    Properties:\n      NetworkAclId: !Ref Acl\n      RuleNumber: 100\n      Protocol: -1\n      RuleAction: allow\n      CidrBlock: !Join ["", [*c]]\n';
    const [acl] = parseAclText(cfn, 'alias.yaml');
    expect(acl!.inbound[0]!.src.prefix).toBe(8);
  });

  it('makes an unknown tag an error naming the tag and line', () => {
    const e = invalid(() => parseAclText('acls:\n  - id: a\n    inbound: !Include rules.yaml\n', 'tags.yaml'));
    expect(e.line).toBe(3);
    expect(e.message).toMatch(/^tags\.yaml:3: unknown YAML tag !Include/);
    const topo = join(dir, 'tagged.yaml');
    writeFileSync(topo, 'name: x\nsubnets: !Env SUBNETS\n');
    expect(invalid(() => loadYamlFile(topo, 'a topology file')).message).toBe(`${topo}:2: unknown YAML tag !Env`);
  });

  it('refuses nesting deeper than MAX_YAML_DEPTH before composing (flow, block, compact), naming the line', () => {
    for (const n of [2_000, 200_000]) {
      const e = invalid(() => parseAclText(`acls:\n  ${'['.repeat(n)}${']'.repeat(n)}\n`, 'deep.yaml'));
      expect(e.message).toBe(`deep.yaml:2: YAML nests more than ${MAX_YAML_DEPTH} levels deep`);
      expect(e).toBeInstanceOf(AclInvalidError);
    }
    const compact = `acls:\n${'- '.repeat(5_000)}x\n`;
    expect(invalid(() => parseAclText(compact, 'compact.yaml')).message).toMatch(/^compact\.yaml:2: YAML nests more than/);
    let block = 'acls:\n';
    for (let i = 0; i < 300; i++) block += `${' '.repeat(i)}k${i}:\n`;
    expect(invalid(() => parseAclText(block, 'block.yaml')).message).toMatch(/^block\.yaml:\d+: YAML nests more than/);
    const ok = `acls: ${'['.repeat(MAX_YAML_DEPTH - 1)}${']'.repeat(MAX_YAML_DEPTH - 1)}\n`;
    expect(invalid(() => parseAclText(ok, 'ok.yaml')).message).not.toContain('nests');
  });
});
