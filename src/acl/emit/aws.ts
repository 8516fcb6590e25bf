/**
 * `aws ec2 describe-network-acls` JSON (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_NetworkAcl.html):
 * what `aclreplay` reads back with src/acl/formats/aws.ts and what the AWS CLI prints. The '*' entries are left out
 * (AWS adds them); associations are written for subnets with an id (a CIDR alone has no place in this document).
 */
import type { Acl } from '../model.js';
import { aclEntries, tagsWithName, type NetworkAclEntry } from './entries.js';

export interface DescribeOptions {
  /** VpcId of every ACL (default: none written). */
  vpcId?: string;
}

/** One entry in the API's field names and order (CidrBlock, Egress, IcmpTypeCode, Ipv6CidrBlock, PortRange, ...). */
export function describeEntry(e: NetworkAclEntry): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (e.cidrBlock !== undefined) out.CidrBlock = e.cidrBlock;
  out.Egress = e.egress;
  if (e.icmpTypeCode) out.IcmpTypeCode = { Code: e.icmpTypeCode.code, Type: e.icmpTypeCode.type };
  if (e.ipv6CidrBlock !== undefined) out.Ipv6CidrBlock = e.ipv6CidrBlock;
  if (e.portRange) out.PortRange = { From: e.portRange.from, To: e.portRange.to };
  out.Protocol = e.protocol;
  out.RuleAction = e.ruleAction;
  out.RuleNumber = e.ruleNumber;
  return out;
}

/** describe-network-acls JSON of the ACLs (egress entries first, as the AWS CLI lists them). */
export function emitDescribeNetworkAcls(acls: readonly Acl[], opts: DescribeOptions = {}): string {
  const NetworkAcls = acls.map((acl) => {
    const { ingress, egress } = aclEntries(acl);
    const doc: Record<string, unknown> = {
      Associations: acl.associations
        .filter((a, i, all) => a.subnetId !== null && all.findIndex((b) => b.subnetId === a.subnetId) === i)
        .map((a) => ({ NetworkAclId: acl.id, SubnetId: a.subnetId })),
      Entries: [...egress, ...ingress].map(describeEntry),
      IsDefault: false,
      NetworkAclId: acl.id,
      Tags: Object.entries(tagsWithName(acl)).map(([Key, Value]) => ({ Key, Value })),
    };
    if (opts.vpcId !== undefined) doc.VpcId = opts.vpcId;
    return doc;
  });
  return `${JSON.stringify({ NetworkAcls }, null, 4)}\n`;
}
