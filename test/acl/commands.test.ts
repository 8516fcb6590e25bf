/** aws ec2 create/replace/delete-network-acl-entry command lines, checked against the AWS CLI's own examples. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { entryCommand, entryCommands } from '../../src/acl/emit/commands.js';
import { aclEntries, ruleEntry } from '../../src/acl/emit/entries.js';
import { loadAcls } from '../../src/acl/load.js';
import { describeCorpus } from '../helpers/corpus.js';
import { FIXTURES, NACL } from './helpers.js';

/** The `Command::` lines of an AWS CLI example page. */
function exampleCommands(file: string): string[] {
  return readFileSync(join(NACL, file), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('aws ec2 '));
}

describeCorpus('the AWS CLI documentation examples', () => {
  it('create-network-acl-entry: UDP 53 from 0.0.0.0/0, TCP 80 from ::/0', () => {
    expect(
      entryCommands('acl-5fb85d36', [
        { action: 'create', entry: { ruleNumber: 100, protocol: '17', ruleAction: 'allow', egress: false, cidrBlock: '0.0.0.0/0', portRange: { from: 53, to: 53 } } },
        { action: 'create', entry: { ruleNumber: 120, protocol: '6', ruleAction: 'allow', egress: false, ipv6CidrBlock: '::/0', portRange: { from: 80, to: 80 } } },
      ]),
    ).toEqual(exampleCommands('02_awscli-example_create-network-acl-entry.rst'));
  });

  it('replace-network-acl-entry', () => {
    const cmd = entryCommand('acl-5fb85d36', { action: 'replace', entry: { ruleNumber: 100, protocol: '17', ruleAction: 'allow', egress: false, cidrBlock: '203.0.113.12/24', portRange: { from: 53, to: 53 } } });
    expect([cmd]).toEqual(exampleCommands('02b_awscli-example_replace-network-acl-entry.rst'));
  });
});

describe('entry commands', () => {
  it('the replace command the README shows for the classic-return fix (the format diagnose prints today)', () => {
    const [acl] = loadAcls(join(FIXTURES, '..', '..', '..', 'examples', 'classic-return.yaml'));
    const entry = { ...ruleEntry(acl!.id, 'outbound', acl!.outbound[0]!), portRange: { from: 1024, to: 65535 } };
    expect(entryCommand(acl!.id, { action: 'replace', entry })).toBe(
      'aws ec2 replace-network-acl-entry --network-acl-id classic-return --egress --rule-number 100 --protocol tcp --port-range From=1024,To=65535 --cidr-block 0.0.0.0/0 --rule-action allow',
    );
  });

  it('ICMP needs --icmp-type-code, ICMPv6 on an IPv6 CIDR too; other protocols take no --port-range', () => {
    const [acl] = loadAcls(join(FIXTURES, 'native.yaml'));
    const { ingress, egress } = aclEntries(acl!);
    expect(entryCommands('acl-1', [...ingress, ...egress].map((entry) => ({ action: 'create' as const, entry })))).toEqual([
      'aws ec2 create-network-acl-entry --network-acl-id acl-1 --ingress --rule-number 100 --protocol tcp --port-range From=443,To=443 --cidr-block 0.0.0.0/0 --rule-action allow',
      'aws ec2 create-network-acl-entry --network-acl-id acl-1 --ingress --rule-number 101 --protocol tcp --port-range From=443,To=443 --ipv6-cidr-block ::/0 --rule-action allow',
      'aws ec2 create-network-acl-entry --network-acl-id acl-1 --ingress --rule-number 110 --protocol tcp --port-range From=32768,To=61000 --cidr-block 0.0.0.0/0 --rule-action allow',
      'aws ec2 create-network-acl-entry --network-acl-id acl-1 --ingress --rule-number 120 --protocol 1 --icmp-type-code Type=3,Code=4 --cidr-block 0.0.0.0/0 --rule-action allow',
      'aws ec2 create-network-acl-entry --network-acl-id acl-1 --ingress --rule-number 130 --protocol 58 --icmp-type-code Type=2,Code=-1 --ipv6-cidr-block ::/0 --rule-action allow',
      'aws ec2 create-network-acl-entry --network-acl-id acl-1 --ingress --rule-number 140 --protocol tcp --port-range From=443,To=443 --cidr-block 10.0.0.0/8 --rule-action deny',
      'aws ec2 create-network-acl-entry --network-acl-id acl-1 --egress --rule-number 100 --protocol tcp --port-range From=32768,To=61000 --cidr-block 0.0.0.0/0 --rule-action allow',
      'aws ec2 create-network-acl-entry --network-acl-id acl-1 --egress --rule-number 110 --protocol -1 --cidr-block 10.0.0.0/16 --rule-action allow',
    ]);
  });

  it('delete, in the order given; an id that is not a plain word is quoted for the shell', () => {
    expect(
      entryCommands("web tier's acl", [
        { action: 'delete', egress: true, ruleNumber: 100 },
        { action: 'delete', egress: false, ruleNumber: 32766 },
      ]),
    ).toEqual([
      "aws ec2 delete-network-acl-entry --network-acl-id 'web tier'\\''s acl' --egress --rule-number 100",
      "aws ec2 delete-network-acl-entry --network-acl-id 'web tier'\\''s acl' --ingress --rule-number 32766",
    ]);
  });
});
