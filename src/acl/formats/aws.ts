/**
 * `aws ec2 describe-network-acls` JSON (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_NetworkAcl.html):
 * every ACL in the file, with associations and tags; and `aws ec2 describe-subnets` JSON to give associations CIDRs.
 */
import { AclInvalidError } from '../../errors.js';
import type { Acl } from '../model.js';
import { boolValue, buildAwsAcl, type BuildOptions, type EntrySpec } from './entries.js';

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** JSON.parse with the error turned into an AclInvalidError naming the line. */
export function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    const m = /position (\d+)/.exec(msg);
    const line = m ? text.slice(0, Number(m[1])).split('\n').length : undefined;
    throw new AclInvalidError(file, `not valid JSON: ${msg.split('\n')[0]}`, line !== undefined ? { line } : {});
  }
}

/** Tags as AWS lists them ([{Key, Value}]) to a record. */
export function tagRecord(tags: unknown): Record<string, string> {
  // Object.fromEntries makes every key an own property, "__proto__" too (an assignment would set the prototype).
  const out: [string, string][] = [];
  if (Array.isArray(tags)) for (const t of tags) if (isObject(t) && typeof t.Key === 'string') out.push([t.Key, typeof t.Value === 'string' ? t.Value : String(t.Value ?? '')]);
  return Object.fromEntries(out);
}

/** Every ACL of a describe-network-acls document. */
export function parseDescribeNetworkAcls(doc: unknown, file: string, opts: BuildOptions = {}): Acl[] {
  if (!isObject(doc) || !Array.isArray(doc.NetworkAcls)) throw new AclInvalidError(file, 'expected describe-network-acls output: an object with a NetworkAcls array');
  return doc.NetworkAcls.map((raw, i) => {
    const path = `NetworkAcls[${i}]`;
    if (!isObject(raw)) throw new AclInvalidError(file, 'expected an object', { path });
    const id = typeof raw.NetworkAclId === 'string' ? raw.NetworkAclId : `acl#${i}`;
    const entries = raw.Entries === undefined ? [] : raw.Entries;
    if (!Array.isArray(entries)) throw new AclInvalidError(file, 'Entries is not an array', { path: `${path}.Entries` });
    const specs: EntrySpec[] = entries.map((e, j) => {
      const ep = `${path}.Entries[${j}]`;
      if (!isObject(e)) throw new AclInvalidError(file, 'expected an object', { path: ep });
      const egress = boolValue(e.Egress);
      if (egress === null) throw new AclInvalidError(file, `Egress ${JSON.stringify(e.Egress)} is not true or false`, { path: `${ep}.Egress` });
      const ports = isObject(e.PortRange) ? e.PortRange : null;
      const icmp = isObject(e.IcmpTypeCode) ? e.IcmpTypeCode : null;
      return {
        ruleNumber: e.RuleNumber,
        egress,
        protocol: e.Protocol,
        action: e.RuleAction,
        cidrBlock: e.CidrBlock,
        ipv6CidrBlock: e.Ipv6CidrBlock,
        hasPorts: ports !== null,
        portFrom: ports?.From,
        portTo: ports?.To,
        icmpType: icmp?.Type,
        icmpCode: icmp?.Code,
        where: { path: ep },
        field: (name: string) => ({ path: `${ep}.${name}` }),
      };
    });
    const tags = tagRecord(raw.Tags);
    const associations = (Array.isArray(raw.Associations) ? raw.Associations : []).filter(isObject).map((a) => ({
      subnetId: typeof a.SubnetId === 'string' ? a.SubnetId : null,
      cidr: null,
    }));
    return buildAwsAcl({ id, name: tags.Name ?? null, file, format: 'aws', associations, tags }, specs, opts);
  });
}

/** A subnet from describe-subnets: its IPv4 CIDR and IPv6 CIDRs. */
export interface SubnetInfo {
  subnetId: string;
  cidr: string | null;
  ipv6Cidrs: string[];
}

/** Subnets of a describe-subnets document, by SubnetId. */
export function parseDescribeSubnets(doc: unknown, file: string): Map<string, SubnetInfo> {
  if (!isObject(doc) || !Array.isArray(doc.Subnets)) throw new AclInvalidError(file, 'expected describe-subnets output: an object with a Subnets array');
  const out = new Map<string, SubnetInfo>();
  doc.Subnets.forEach((s, i) => {
    if (!isObject(s) || typeof s.SubnetId !== 'string') throw new AclInvalidError(file, 'subnet without a SubnetId', { path: `Subnets[${i}]` });
    const v6 = Array.isArray(s.Ipv6CidrBlockAssociationSet) ? s.Ipv6CidrBlockAssociationSet : [];
    out.set(s.SubnetId, {
      subnetId: s.SubnetId,
      cidr: typeof s.CidrBlock === 'string' ? s.CidrBlock : null,
      ipv6Cidrs: v6.filter(isObject).map((a) => a.Ipv6CidrBlock).filter((x): x is string => typeof x === 'string'),
    });
  });
  return out;
}
