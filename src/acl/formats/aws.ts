/**
 * `aws ec2 describe-network-acls` JSON (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_NetworkAcl.html):
 * every ACL in the file, with associations and tags; and `aws ec2 describe-subnets` JSON to give associations CIDRs.
 */
import { AclInvalidError } from '../../errors.js';
import { describeValue, excerpt } from '../../text/quote.js';
import { parseCidr, type Acl } from '../model.js';
import { boolValue, buildAwsAcl, type BuildOptions, type EntrySpec } from './entries.js';

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deepest nesting of arrays and objects accepted in a JSON input (JSON.parse takes far more; our readers recurse). */
export const MAX_JSON_DEPTH = 100;

/** JSON.parse with the error turned into an AclInvalidError naming the line; nesting past MAX_JSON_DEPTH is refused. */
export function parseJson(text: string, file: string): unknown {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    const m = /position (\d+)/.exec(msg);
    const line = m ? text.slice(0, Number(m[1])).split('\n').length : undefined;
    throw new AclInvalidError(file, `not valid JSON: ${excerpt(msg.split('\n')[0]!)}`, line !== undefined ? { line } : {});
  }
  const deep = tooDeep(doc, MAX_JSON_DEPTH);
  if (deep !== null) throw new AclInvalidError(file, `JSON nests more than ${MAX_JSON_DEPTH} levels deep`, { path: deep });
  return doc;
}

/** Path of the first value nested deeper than `limit`, walked without recursion; null when none is. */
function tooDeep(doc: unknown, limit: number): string | null {
  // Each entry: the value, its depth, and its path (kept for the first levels only, which is all a message shows).
  const shown = 6;
  const stack: [unknown, number, string][] = [[doc, 0, '']];
  while (stack.length > 0) {
    const [v, depth, path] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= limit) return `${path || '(top)'}...`;
    const child = (key: string) => (depth < shown ? `${path}${excerpt(key, 40)}` : path);
    if (Array.isArray(v)) for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], depth + 1, child(`[${i}]`)]);
    else for (const [k, x] of Object.entries(v)) stack.push([x, depth + 1, child(path ? `.${k}` : k)]);
  }
  return null;
}

/** Tags as AWS lists them ([{Key, Value}]) to a record. */
export function tagRecord(tags: unknown): Record<string, string> {
  // Object.fromEntries makes every key an own property, "__proto__" too (an assignment would set the prototype).
  const out: [string, string][] = [];
  if (Array.isArray(tags)) for (const t of tags) if (isObject(t) && typeof t.Key === 'string') out.push([t.Key, typeof t.Value === 'string' ? t.Value : typeof t.Value === 'object' && t.Value !== null ? describeValue(t.Value) : String(t.Value ?? '')]);
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
      if (egress === null) throw new AclInvalidError(file, `Egress ${describeValue(e.Egress)} is not true or false`, { path: `${ep}.Egress` });
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
    const cidr = (v: unknown, path: string, family: 4 | 6): string => {
      const c = typeof v === 'string' ? parseCidr(v) : null;
      if (!c || !c.ok) throw new AclInvalidError(file, `invalid CIDR ${describeValue(v)}${c && !c.ok ? `: ${c.reason}` : ''}`, { path });
      if (c.cidr.family !== family) throw new AclInvalidError(file, `${describeValue(v)} is not an IPv${family} CIDR`, { path });
      return v as string;
    };
    const v6 = Array.isArray(s.Ipv6CidrBlockAssociationSet) ? s.Ipv6CidrBlockAssociationSet : [];
    const ipv6Cidrs: string[] = [];
    v6.forEach((a, j) => {
      if (isObject(a) && a.Ipv6CidrBlock !== undefined) ipv6Cidrs.push(cidr(a.Ipv6CidrBlock, `Subnets[${i}].Ipv6CidrBlockAssociationSet[${j}].Ipv6CidrBlock`, 6));
    });
    out.set(s.SubnetId, {
      subnetId: s.SubnetId,
      cidr: s.CidrBlock === undefined || s.CidrBlock === null ? null : cidr(s.CidrBlock, `Subnets[${i}].CidrBlock`, 4),
      ipv6Cidrs,
    });
  });
  return out;
}
