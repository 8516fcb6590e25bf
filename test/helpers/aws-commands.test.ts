/** The test tooling that applies aws ec2 entry commands the way EC2 does: literal command lines, literal entries. */
import { describe, it, expect } from 'vitest';
import { applyCommand, shellWords, type DescribeEntry } from './aws-commands.js';

const acls = () => new Map<string, DescribeEntry[]>([['acl-1', [{ RuleNumber: 100, Protocol: '6', RuleAction: 'allow', Egress: true, CidrBlock: '0.0.0.0/0', PortRange: { From: 32768, To: 65535 } }]]]);

describe('applyCommand', () => {
  it('replace, create and delete as EC2 applies them; protocol names become numbers', () => {
    const m = acls();
    applyCommand(m, 'aws ec2 replace-network-acl-entry --network-acl-id acl-1 --egress --rule-number 100 --protocol tcp --port-range From=1024,To=65535 --cidr-block 0.0.0.0/0 --rule-action allow');
    applyCommand(m, 'aws ec2 create-network-acl-entry --network-acl-id acl-1 --ingress --rule-number 100 --protocol 58 --icmp-type-code Type=128,Code=-1 --ipv6-cidr-block ::/0 --rule-action allow');
    applyCommand(m, 'aws ec2 create-network-acl-entry --network-acl-id acl-1 --egress --rule-number 110 --protocol udp --port-range From=53,To=53 --cidr-block 10.0.0.0/8 --rule-action deny');
    expect(m.get('acl-1')).toEqual([
      { RuleNumber: 100, Protocol: '6', RuleAction: 'allow', Egress: true, CidrBlock: '0.0.0.0/0', PortRange: { From: 1024, To: 65535 } },
      { RuleNumber: 100, Protocol: '58', RuleAction: 'allow', Egress: false, Ipv6CidrBlock: '::/0', IcmpTypeCode: { Type: 128, Code: -1 } },
      { RuleNumber: 110, Protocol: '17', RuleAction: 'deny', Egress: true, CidrBlock: '10.0.0.0/8', PortRange: { From: 53, To: 53 } },
    ]);
    applyCommand(m, 'aws ec2 delete-network-acl-entry --network-acl-id acl-1 --egress --rule-number 110');
    expect(m.get('acl-1')).toHaveLength(2);
  });

  it('refuses what EC2 refuses', () => {
    const m = acls();
    expect(() => applyCommand(m, 'aws ec2 create-network-acl-entry --network-acl-id acl-1 --egress --rule-number 100 --protocol udp --port-range From=1,To=2 --cidr-block 0.0.0.0/0 --rule-action allow')).toThrow(/NetworkAclEntryAlreadyExists/);
    expect(() => applyCommand(m, 'aws ec2 replace-network-acl-entry --network-acl-id acl-1 --ingress --rule-number 100 --protocol tcp --port-range From=1,To=2 --cidr-block 0.0.0.0/0 --rule-action allow')).toThrow(/InvalidNetworkAclEntry.NotFound/);
    expect(() => applyCommand(m, 'aws ec2 delete-network-acl-entry --network-acl-id acl-2 --egress --rule-number 100')).toThrow(/InvalidNetworkAclID.NotFound/);
    expect(() => applyCommand(m, 'aws ec2 create-network-acl-entry --network-acl-id acl-1 --egress --rule-number 120 --protocol tcp --cidr-block 0.0.0.0/0 --rule-action allow')).toThrow(/need --port-range/);
  });

  it('reads single-quoted words as the shell does', () => {
    expect(shellWords(`aws ec2 x --network-acl-id 'a b'\\''c' --egress`)).toEqual(['aws', 'ec2', 'x', '--network-acl-id', "a b'c", '--egress']);
  });
});
