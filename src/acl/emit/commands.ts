/**
 * `aws ec2 create-network-acl-entry` / `replace-network-acl-entry` / `delete-network-acl-entry` command lines for a
 * list of changes (https://docs.aws.amazon.com/cli/latest/reference/ec2/create-network-acl-entry.html). Options come
 * in the order of the AWS CLI's own examples; --port-range only for TCP/UDP, --icmp-type-code for ICMP and for
 * ICMPv6 on an IPv6 CIDR (where the CLI requires it).
 */
import type { NetworkAclEntry } from './entries.js';

/** One change to a network ACL, applied by one aws ec2 command. */
export type EntryChange =
  | { action: 'create'; entry: NetworkAclEntry }
  | { action: 'replace'; entry: NetworkAclEntry }
  | { action: 'delete'; egress: boolean; ruleNumber: number };

/** A word for a POSIX shell: as is when it is safe, else single-quoted. */
export function shellWord(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The protocol as the CLI examples write it: tcp and udp by name, every other protocol by number ('-1' = all). */
function cliProtocol(p: string): string {
  return p === '6' ? 'tcp' : p === '17' ? 'udp' : p;
}

/** The aws ec2 command line that applies one change to the ACL `networkAclId`. */
export function entryCommand(networkAclId: string, change: EntryChange): string {
  const head = `aws ec2 ${change.action}-network-acl-entry --network-acl-id ${shellWord(networkAclId)}`;
  if (change.action === 'delete') return `${head} ${change.egress ? '--egress' : '--ingress'} --rule-number ${change.ruleNumber}`;
  const e = change.entry;
  const parts = [head, e.egress ? '--egress' : '--ingress', `--rule-number ${e.ruleNumber}`, `--protocol ${cliProtocol(e.protocol)}`];
  if ((e.protocol === '6' || e.protocol === '17') && e.portRange) parts.push(`--port-range From=${e.portRange.from},To=${e.portRange.to}`);
  const v6 = e.ipv6CidrBlock !== undefined;
  if (e.protocol === '1' || (e.protocol === '58' && v6)) {
    const t = e.icmpTypeCode ?? { type: -1, code: -1 };
    parts.push(`--icmp-type-code Type=${t.type},Code=${t.code}`);
  }
  parts.push(v6 ? `--ipv6-cidr-block ${shellWord(e.ipv6CidrBlock!)}` : `--cidr-block ${shellWord(e.cidrBlock ?? '')}`);
  parts.push(`--rule-action ${e.ruleAction}`);
  return parts.join(' ');
}

/** The command lines of a list of changes, in the given order (each aws ec2 call takes effect on its own). */
export function entryCommands(networkAclId: string, changes: readonly EntryChange[]): string[] {
  return changes.map((c) => entryCommand(networkAclId, c));
}
