import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { describeCorpus } from '../helpers/corpus.js';
import { CLASSBENCH, FIXTURES, NACL } from '../acl/helpers.js';
import { execFileSync } from 'node:child_process';
import { REPO_ROOT } from '../helpers/corpus.js';

beforeAll(() => {
  execFileSync(process.execPath, [join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: REPO_ROOT });
}, 120_000);

describe('aclreplay lint', () => {
  it('-F json: { acls: [{ id, file, rules, findings, coverage }] }', () => {
    const r = runCli(['lint', join(FIXTURES, 'lint-cases.yaml'), '-F', 'json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout) as { acls: { id: string; file: string; rules: unknown; findings: { code: string; severity: string; direction: string; rule: unknown; message: string }[]; coverage: unknown[] }[] };
    expect(doc.acls).toHaveLength(1);
    const a = doc.acls[0]!;
    expect(a.id).toBe('cases');
    expect(a.rules).toEqual({ inbound: 7, outbound: 2 });
    expect(a.findings.find((f) => f.code === 'SHADOWED_RULE' && f.rule === 130)).toMatchObject({ severity: 'error', direction: 'inbound' });
    expect(a.coverage).toHaveLength(6); // IPv4 both ways (TCP, UDP) and IPv6 inbound, where rule 160 is
  });

  it('table output names findings and the probe addresses', () => {
    const r = runCli(['lint', join(FIXTURES, 'lint-cases.yaml')]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('SHADOWED_RULE');
    expect(r.stdout).toContain('return-traffic coverage (probes: ingress IPv4: 198.51.100.7:443 -> 10.0.0.10:<port>');
    expect(r.stdout).toContain('windows 72% (61001-65535 not allowed)');
  });

  it('--fail-on exits 3 when a listed code appears, 0 when not; unknown codes are usage errors', () => {
    expect(runCli(['lint', join(FIXTURES, 'lint-cases.yaml'), '--fail-on', 'SHADOWED_RULE']).status).toBe(3);
    expect(runCli(['lint', join(FIXTURES, 'lint-cases.yaml'), '--fail-on', 'aws_rule_limit,UNMATCHABLE_RULE']).status).toBe(0);
    const u = runCli(['lint', join(FIXTURES, 'lint-cases.yaml'), '--fail-on', 'NOPE']);
    expect(u.status).toBe(2);
    expect(u.stderr).toContain("--fail-on: 'NOPE' is not a finding code");
  });

  it('bad ACL input: exit 65, one line naming file, path and value, no stack trace', () => {
    const r = runCli(['lint', join(FIXTURES, 'bad-aws-cidr.json')]);
    expect(r.status).toBe(65);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain("bad-aws-cidr.json: NetworkAcls[0].Entries[1].CidrBlock: invalid CIDR '10.0.0.300/8'");
    expect(r.stderr).not.toMatch(/\bat \S+:\d+:\d+/);
  });

  it('every bad fixture exits 65 with one line', () => {
    for (const f of ['bad-aws-duplicate.json', 'bad-aws-protocol.json', 'native-bad-ports.yaml', 'bad-expr.tf', 'bad-syntax.tf', 'classbench-bad-prefix.rules', 'cfn-unresolvable.yaml', 'yaml-45-rules.yaml']) {
      const r = runCli(['lint', join(FIXTURES, f)]);
      expect([f, r.status]).toEqual([f, 65]);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('--no-aws-limits turns the 40-rule error into an AWS_RULE_LIMIT finding', () => {
    const r = runCli(['lint', join(FIXTURES, 'yaml-45-rules.yaml'), '--no-aws-limits', '--fail-on', 'AWS_RULE_LIMIT']);
    expect(r.status).toBe(3);
    expect(r.stdout).toContain('ingress has 45 IPv4 rules: above the AWS maximum of 40');
  });

  it('a missing file exits 66; --param without = exits 2', () => {
    expect(runCli(['lint', join(FIXTURES, 'nope.json')]).status).toBe(66);
    expect(runCli(['lint', join(FIXTURES, 'nacl.tf'), '--param', 'novalue']).status).toBe(2);
  });

  it('--param feeds Terraform variables', () => {
    const r = runCli(['lint', join(FIXTURES, 'nacl.tf'), '--param', 'vpc_cidr=10.0.0.0/16', '-F', 'json']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).acls[0].id).toBe('aws_network_acl.web');
  });
});

describeCorpus('aclreplay lint on the corpus', () => {
  it('04_3 with --fail-on SHADOWED_RULE exits 3 and names rule 200', () => {
    const r = runCli(['lint', join(NACL, '04_devopsacademy_frdvo_describe-network-acls_3.json'), '--fail-on', 'SHADOWED_RULE']);
    expect(r.status).toBe(3);
    expect(r.stdout).toMatch(/error\s+SHADOWED_RULE\s+ingress\s+200/);
  });

  it('06 PRX private with --param for both parameters', () => {
    const r = runCli(['lint', join(NACL, '06_PRX_cfn_private-network-acl.yml'), '--param', 'VpcCidrBlock=10.1.0.0/16', '--param', 'VpcIpv6CidrBlocks=2600:1f18::/56', '-F', 'json']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).acls[0].id).toBe('PrivateNetworkAcl');
  });
});

describeCorpus('aclreplay lint on 10K-rule ClassBench sets', () => {
  for (const name of ['acl1_10K', 'fw1_10K']) {
    it(`${name}: done well under 10 s (it ran past 60 s before the work budget)`, () => {
      const t0 = performance.now();
      const r = runCli(['lint', join(CLASSBENCH, 'ehzuf_HyperSplit', 'rules', name), '-F', 'json']);
      expect(performance.now() - t0).toBeLessThan(10_000);
      expect(r.status).toBe(0);
      expect(JSON.parse(r.stdout).acls[0].rules.inbound).toBeGreaterThan(9000);
    });
  }
});
