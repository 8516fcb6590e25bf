/** `aclreplay suggest` from the command line: option checks (exit 2), output forms on stdout, reasons on stderr. */
import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/corpus.js';
import { parseAclText } from '../../src/acl/load.js';

const CAP = join(REPO_ROOT, 'captures', 'mixed-clients.pcap');
const base = ['suggest', CAP, '--subnet', '10.0.2.0/24', '-j', '1'];

describe('aclreplay suggest', () => {
  it('--max-rules must be a positive integer, at most 40 unless --no-aws-limits', () => {
    for (const bad of ['0', '-3', 'x', '2.5', '40000']) {
      const r = runCli([...base, '--max-rules', bad]);
      expect(r.status, bad).toBe(2);
      expect(r.stderr).toMatch(/--max-rules expects an integer from 1 to 32766/);
      expect(r.stdout).toBe('');
    }
    const over = runCli([...base, '--max-rules', '41']);
    expect(over.status).toBe(2);
    expect(over.stderr).toMatch(/--max-rules 41: AWS allows at most 40 rules per direction and address family/);
    expect(runCli([...base, '--max-rules', '41', '--no-aws-limits']).status).toBe(0);
    expect(runCli([...base, '--max-rules', '40']).status).toBe(0);
  });

  it('needs --subnet, and one ACL in --acl', () => {
    expect(runCli(['suggest', CAP]).status).toBe(2);
    // A file with two ACLs (one NetworkAclId per entry list): name one with #id.
    const two = runCli([...base, '--acl', join(REPO_ROOT, 'test', 'fixtures', 'acl', 'examples-two.yaml')]);
    expect(two.status).toBe(2);
    expect(two.stderr).toMatch(/--acl .*examples-two\.yaml holds 2 ACLs \(web, db\): name one as .*#<id>/);
  });

  it('stdout holds only the ACL (describe-network-acls JSON by default); every rule\'s reason goes to stderr', () => {
    const r = runCli(base);
    expect(r.status, r.stderr).toBe(0);
    const acl = parseAclText(r.stdout, 'out.json')[0]!;
    expect(r.stdout).not.toMatch(/reason|service/);
    const numbered = [...acl.inbound, ...acl.outbound].filter((x) => x.ruleNumber !== '*');
    const reasons = r.stderr.split('\n').filter((l) => l.startsWith('reason: '));
    expect(reasons).toHaveLength(numbered.length);
    expect(r.stderr).toMatch(/^suggest: (\d+) of the \1 connections that worked still work/m);
  });

  it('--as json carries the reasons in its rules field, --as yaml / terraform / cloudformation are ACLs', () => {
    const j = runCli([...base, '--as', 'json']);
    expect(j.status).toBe(0);
    const doc = JSON.parse(j.stdout) as { rules: { reason: string }[]; acl: { Entries: unknown[] }; worked: number; stillWork: number };
    expect(doc.rules.length).toBe(doc.acl.Entries.length);
    expect(doc.stillWork).toBe(doc.worked);
    for (const [form, file] of [['yaml', 'x.yaml'], ['terraform', 'x.tf'], ['cloudformation', 'x.cfn.yaml']] as const) {
      const r = runCli([...base, '--as', form]);
      expect(r.status, form).toBe(0);
      expect(parseAclText(r.stdout, file), form).toHaveLength(1);
    }
  });

  it('with --acl: the aws ec2 commands on stdout, the reasons and the diff of outcomes on stderr', () => {
    const r = runCli([...base, '--acl', join(REPO_ROOT, 'test', 'fixtures', 'acl', 'examples-two.yaml#web')]);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(l).toMatch(/^aws ec2 (create|replace|delete)-network-acl-entry --network-acl-id web /);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('reason: '))).toHaveLength(lines.length);
    // The closed tcp/8081 was allowed in and never worked: it is no longer allowed.
    expect(r.stderr).toMatch(/web \(current\) -> web \(tightened\): 8 of \d+ connections change/);
  });
});
