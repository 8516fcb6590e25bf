/**
 * The AWS network ACL entries of an Acl, as CreateNetworkAclEntry takes them
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateNetworkAclEntry.html): the one place that decides
 * whether a rule of the general model is expressible as an AWS entry. Every emitter (describe JSON, native YAML,
 * Terraform, CloudFormation, the aws ec2 commands) writes these entries and nothing else.
 */
import { AclNotExpressibleError } from '../../errors.js';
import { formatCidr, isAnyPorts, type Acl, type Direction, type Rule } from '../model.js';

/** Highest rule number a user may give (32767 and 32768 are the '*' default denies). */
export const MAX_ENTRY_NUMBER = 32766;

/** One network ACL entry; field names follow the EC2 API (camelCase), so diagnose's AwsEntry is one. */
export interface NetworkAclEntry {
  ruleNumber: number;
  /** The protocol number as text, '-1' = all (API_NetworkAclEntry: Protocol is a string). */
  protocol: string;
  ruleAction: 'allow' | 'deny';
  egress: boolean;
  cidrBlock?: string;
  ipv6CidrBlock?: string;
  /** TCP (6) and UDP (17) only: the destination port range. */
  portRange?: { from: number; to: number };
  /** ICMP (1), and ICMPv6 (58) on an IPv6 CIDR: type and code, -1 = any. */
  icmpTypeCode?: { type: number; code: number };
}

/** The entries of one ACL, per direction, in evaluation order (ascending rule number), without the '*' denies. */
export interface AclEntries {
  ingress: NetworkAclEntry[];
  egress: NetworkAclEntry[];
}

/** True when the protocol's entries carry ICMP type/code for this family (CreateNetworkAclEntry, IcmpTypeCode). */
export function carriesIcmp(protocol: number, family: 4 | 6): boolean {
  return protocol === 1 || (protocol === 58 && family === 6);
}

/** True for the AWS implicit deny of a family: '*', deny, every protocol, /0, any ports, any ICMP. */
function isDefaultDeny(r: Rule): boolean {
  return (
    r.ruleNumber === '*' &&
    r.action === 'deny' &&
    r.protocolMask === 0 &&
    r.src.prefix === 0 &&
    r.dst.prefix === 0 &&
    isAnyPorts(r.srcPorts) &&
    isAnyPorts(r.dstPorts) &&
    r.icmpType === -1 &&
    (r.tcpFlags === null || r.tcpFlags.mask === 0)
  );
}

/** The AWS entry of one rule; throws AclNotExpressibleError naming the rule and what AWS cannot hold. */
export function ruleEntry(aclId: string, direction: Direction, r: Rule): NetworkAclEntry {
  const egress = direction === 'outbound';
  const dirName = egress ? 'egress' : 'ingress';
  const fail = (what: string): never => {
    throw new AclNotExpressibleError(aclId, `${dirName} rule ${String(r.ruleNumber)}: ${what}; AWS network ACL entries cannot express it`);
  };
  const n = r.ruleNumber;
  if (n === '*' || !Number.isInteger(n) || n < 1 || n > MAX_ENTRY_NUMBER) fail(`rule number outside 1-${MAX_ENTRY_NUMBER}`);
  let protocol: string;
  if (r.protocolMask === 0) protocol = '-1';
  else if (r.protocolMask === 0xff && Number.isInteger(r.protocol) && r.protocol >= 0 && r.protocol <= 255) protocol = String(r.protocol);
  else protocol = fail(`protocol mask 0x${r.protocolMask.toString(16)}`);
  // The CIDR is the source on ingress and the destination on egress (nacl-rules.html); the other side is any.
  const cidr = egress ? r.dst : r.src;
  const other = egress ? r.src : r.dst;
  if (other.prefix !== 0) fail(`${egress ? 'source' : 'destination'} ${formatCidr(other)} (only the ${egress ? 'destination' : 'source'} is matched)`);
  if (cidr.family !== r.family || other.family !== r.family) fail('address families of the rule disagree');
  if (!isAnyPorts(r.srcPorts)) fail(`source ports ${r.srcPorts[0]}-${r.srcPorts[1]} (only destination ports are matched)`);
  if (r.tcpFlags !== null && r.tcpFlags.mask !== 0) fail('TCP flags');
  const e: NetworkAclEntry = { ruleNumber: n as number, protocol, ruleAction: r.action, egress };
  if (r.family === 4) e.cidrBlock = formatCidr(cidr);
  else e.ipv6CidrBlock = formatCidr(cidr);
  const p = r.protocolMask === 0 ? -1 : r.protocol;
  if (p === 6 || p === 17) {
    e.portRange = { from: r.dstPorts[0], to: r.dstPorts[1] };
  } else if (!isAnyPorts(r.dstPorts)) {
    fail(`destination ports ${r.dstPorts[0]}-${r.dstPorts[1]} on protocol ${protocol} (ports apply to TCP and UDP only)`);
  }
  if (carriesIcmp(p, r.family)) {
    e.icmpTypeCode = { type: r.icmpType, code: r.icmpType === -1 ? -1 : r.icmpCode };
  } else if (r.icmpType !== -1 || r.icmpCode !== -1) {
    fail(`ICMP type/code on protocol ${protocol}`);
  }
  return e;
}

/**
 * The entries of an ACL. The '*' default denies are left out (AWS adds them); every other rule must be expressible,
 * numbered 1-32766, unique per direction and in ascending order within the list (the order AWS evaluates them in),
 * and no numbered rule may follow its family's '*'.
 */
export function aclEntries(acl: Acl): AclEntries {
  const out: AclEntries = { ingress: [], egress: [] };
  for (const direction of ['inbound', 'outbound'] as const) {
    const list = direction === 'inbound' ? out.ingress : out.egress;
    const closed = new Set<4 | 6>();
    let last = 0;
    for (const r of acl[direction]) {
      if (r.ruleNumber === '*') {
        if (!isDefaultDeny(r)) throw new AclNotExpressibleError(acl.id, `${direction === 'inbound' ? 'ingress' : 'egress'} has a '*' rule other than the implicit deny (${r.action}); AWS adds only the deny`);
        closed.add(r.family);
        continue;
      }
      const e = ruleEntry(acl.id, direction, r);
      if (closed.has(r.family)) throw new AclNotExpressibleError(acl.id, `${e.egress ? 'egress' : 'ingress'} rule ${e.ruleNumber} comes after the IPv${r.family} '*' deny; AWS would evaluate it before`);
      if (e.ruleNumber <= last) {
        throw new AclNotExpressibleError(
          acl.id,
          `${e.egress ? 'egress' : 'ingress'} rule ${e.ruleNumber} follows rule ${last}: ${e.ruleNumber === last ? 'duplicate rule number' : 'AWS evaluates rules in ascending number, not in list order'}`,
        );
      }
      last = e.ruleNumber;
      list.push(e);
    }
  }
  return out;
}

/** Protocol text as people write it in YAML, Terraform and the CLI: tcp, udp, icmp, else the number ('-1' = all). */
export function protocolWord(protocol: string): string {
  switch (protocol) {
    case '6':
      return 'tcp';
    case '17':
      return 'udp';
    case '1':
      return 'icmp';
    default:
      return protocol;
  }
}

/** The ACL's tags, with its name as the Name tag when the tags do not already hold one (AWS names ACLs by tag). */
export function tagsWithName(acl: Acl): Record<string, string> {
  const tags = { ...acl.tags };
  if (acl.name !== null && tags.Name === undefined) tags.Name = acl.name;
  return tags;
}
