/**
 * AWS network ACL entries, whatever file they came from (describe-network-acls, CloudFormation, Terraform, native
 * YAML), validated and turned into the general Rule model with AWS semantics
 * (https://docs.aws.amazon.com/vpc/latest/userguide/nacl-rules.html,
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateNetworkAclEntry.html).
 */
import { AclInvalidError } from '../../errors.js';
import { describeValue } from '../../text/quote.js';
import { anyCidr, defaultDeny, formatCidr, parseCidr, parseProtocol, type Acl, type AclFormat, type Association, type Direction, type Rule } from '../model.js';

/** AWS default quota of rules per direction and family (raisable); https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html */
export const AWS_DEFAULT_RULES = 20;
/** AWS maximum rules per direction and family. */
export const AWS_MAX_RULES = 40;
/** Highest rule number a user may give; 32767 (IPv4) and 32768 (IPv6) are the '*' default denies. */
export const AWS_MAX_RULE_NUMBER = 32766;

/** One entry as read from a file; raw values are checked by buildAwsAcl. */
export interface EntrySpec {
  ruleNumber: unknown;
  egress: boolean;
  protocol: unknown;
  action: unknown;
  cidrBlock?: unknown;
  ipv6CidrBlock?: unknown;
  portFrom?: unknown;
  portTo?: unknown;
  /** True when the file gave a port range (AWS: PortRange present). */
  hasPorts: boolean;
  icmpType?: unknown;
  icmpCode?: unknown;
  /** Where the entry is: JSON/YAML path or line, and how to name one of its fields in a message. */
  where: { path?: string; line?: number };
  field: (name: string) => { path?: string; line?: number };
  /** File-specific names for fields, for messages: e.g. { ruleNumber: 'RuleNumber' }. */
  names?: Partial<Record<'ruleNumber' | 'protocol' | 'action' | 'cidrBlock' | 'ipv6CidrBlock' | 'portFrom' | 'portTo' | 'icmpType' | 'icmpCode', string>>;
  description?: string;
}

export interface AclMeta {
  id: string;
  name: string | null;
  file: string;
  format: AclFormat;
  associations: Association[];
  tags: Record<string, string>;
}

export interface BuildOptions {
  /** Enforce the AWS maximum of 40 rules per direction and family (default true). */
  awsLimits?: boolean;
}

const DEFAULT_NAMES = {
  ruleNumber: 'RuleNumber',
  protocol: 'Protocol',
  action: 'RuleAction',
  cidrBlock: 'CidrBlock',
  ipv6CidrBlock: 'Ipv6CidrBlock',
  portFrom: 'PortRange.From',
  portTo: 'PortRange.To',
  icmpType: 'IcmpTypeCode.Type',
  icmpCode: 'IcmpTypeCode.Code',
};

/** An integer given as a number or a numeric string (CloudFormation allows both); null otherwise. */
export function intValue(v: unknown): number | null {
  if (typeof v === 'number') return Number.isInteger(v) ? v : null;
  if (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v)) return Number(v);
  return null;
}

/** A boolean given as true/false or "true"/"false" (CloudFormation allows both); null otherwise. */
export function boolValue(v: unknown): boolean | null {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(true|false)$/i.test(v.trim())) return v.trim().toLowerCase() === 'true';
  return null;
}

const show = describeValue;

/** Validate entries and build the ACL: per direction ascending rule number, then the IPv4 and IPv6 '*' denies. */
export function buildAwsAcl(meta: AclMeta, entries: EntrySpec[], opts: BuildOptions = {}): Acl {
  const { file } = meta;
  const warnings: string[] = [];
  const lists: Record<Direction, { n: number; rule: Rule; where: string }[]> = { inbound: [], outbound: [] };
  const byNumber: Record<Direction, Map<number, string>> = { inbound: new Map(), outbound: new Map() };
  for (const e of entries) {
    const names = { ...DEFAULT_NAMES, ...e.names };
    const fail = (f: keyof typeof DEFAULT_NAMES, detail: string): never => {
      throw new AclInvalidError(file, detail, e.field(names[f]));
    };
    const direction: Direction = e.egress ? 'outbound' : 'inbound';
    const number = intValue(e.ruleNumber);
    if (number === null) fail('ruleNumber', `rule number ${show(e.ruleNumber)} is not an integer`);
    const action = typeof e.action === 'string' ? e.action.trim().toLowerCase() : e.action;
    if (action !== 'allow' && action !== 'deny') fail('action', `rule action ${show(e.action)} is neither allow nor deny`);
    const protocol = parseProtocol(e.protocol);
    if (protocol === null) fail('protocol', `unknown protocol ${show(e.protocol)} (expected -1/all, a number 0-255, or tcp/udp/icmp/icmpv6)`);

    const has4 = e.cidrBlock !== undefined && e.cidrBlock !== null && e.cidrBlock !== '';
    const has6 = e.ipv6CidrBlock !== undefined && e.ipv6CidrBlock !== null && e.ipv6CidrBlock !== '';
    if (has4 === has6) fail(has4 ? 'ipv6CidrBlock' : 'cidrBlock', has4 ? `entry has both ${names.cidrBlock} and ${names.ipv6CidrBlock}; give one` : `entry has neither ${names.cidrBlock} nor ${names.ipv6CidrBlock}`);
    const cidrField = has4 ? 'cidrBlock' : 'ipv6CidrBlock';
    const cidrText = has4 ? e.cidrBlock : e.ipv6CidrBlock;
    if (typeof cidrText !== 'string') fail(cidrField, `invalid CIDR ${show(cidrText)}`);
    const parsed = parseCidr(cidrText as string);
    if (!parsed.ok) fail(cidrField, `invalid CIDR ${show(cidrText)}: ${parsed.reason}`);
    if (!(cidrText as string).includes('/')) fail(cidrField, `invalid CIDR ${show(cidrText)}: missing /prefix-length`);
    const cidr = (parsed as { cidr: Rule['src'] }).cidr;
    if (has4 && cidr.family === 6) fail(cidrField, `IPv6 CIDR ${show(cidrText)} where an IPv4 CIDR belongs (use ${names.ipv6CidrBlock})`);
    if (has6 && cidr.family === 4) fail(cidrField, `IPv4 CIDR ${show(cidrText)} where an IPv6 CIDR belongs (use ${names.cidrBlock})`);
    if ((parsed as { hostBits: boolean }).hostBits) warnings.push(`${where(e.field(names[cidrField]))}: ${cidrText} has host bits set; it covers ${formatCidr(cidr)}`);

    // The '*' default denies appear in describe-network-acls output as 32767 (IPv4) and 32768 (IPv6); they are
    // re-added below. Any other entry numbered outside 1-32766 is refused, as CreateNetworkAclEntry refuses it.
    if (meta.format === 'aws' && isDefaultDeny(number!, cidr, protocol!, action as string)) continue;
    if (number! < 1 || number! > AWS_MAX_RULE_NUMBER) {
      const star = number === 32767 || number === 32768 ? ` (${number} is the '*' default deny AWS adds itself; only describe-network-acls output lists it, as a deny of all traffic from ${number === 32767 ? '0.0.0.0/0' : '::/0'})` : '';
      fail('ruleNumber', `rule number ${number} out of range 1-${AWS_MAX_RULE_NUMBER}${star}`);
    }

    // Ports only for TCP (6) and UDP (17); other protocols, and -1, match all ports (CreateNetworkAclEntry, Protocol).
    let dstPorts: [number, number] = [0, 65535];
    if (protocol === 6 || protocol === 17) {
      if (!e.hasPorts) fail('portFrom', `${protocol === 6 ? 'TCP' : 'UDP'} rule ${number} has no port range`);
      const from = intValue(e.portFrom);
      const to = intValue(e.portTo);
      if (from === null || from < 0 || from > 65535) fail('portFrom', `port ${show(e.portFrom)} outside 0-65535`);
      if (to === null || to < 0 || to > 65535) fail('portTo', `port ${show(e.portTo)} outside 0-65535`);
      if (from! > to!) fail('portFrom', `port range ${from}-${to} is inverted`);
      dstPorts = [from!, to!];
    } else if (e.hasPorts) {
      const from = intValue(e.portFrom);
      const to = intValue(e.portTo);
      const trivial = (from === 0 && (to === 0 || to === 65535)) || (from === null && to === null);
      if (!trivial) warnings.push(`${where(e.where)}: rule ${number} is protocol ${protocol === -1 ? 'all (-1)' : protocol}; AWS ignores its port range ${from}-${to}`);
    }
    // ICMP type/code for protocol 1, and for 58 on an IPv6 CIDR; -1 = any (CreateNetworkAclEntry, IcmpTypeCode).
    let icmpType = -1;
    let icmpCode = -1;
    if (protocol === 1 || (protocol === 58 && cidr.family === 6)) {
      if (e.icmpType !== undefined && e.icmpType !== null) {
        const t = intValue(e.icmpType);
        if (t === null || t < -1 || t > 255) fail('icmpType', `ICMP type ${show(e.icmpType)} outside -1..255`);
        icmpType = t!;
      }
      if (e.icmpCode !== undefined && e.icmpCode !== null) {
        const c = intValue(e.icmpCode);
        if (c === null || c < -1 || c > 255) fail('icmpCode', `ICMP code ${show(e.icmpCode)} outside -1..255`);
        icmpCode = c!;
      }
      if (icmpType === -1) icmpCode = -1;
    }
    const any = anyCidr(cidr.family);
    const rule: Rule = {
      ruleNumber: number!,
      action: action as Rule['action'],
      family: cidr.family,
      protocol: protocol!,
      protocolMask: protocol === -1 ? 0 : 0xff,
      // The CIDR is the source on ingress and the destination on egress; the port range is the destination port.
      src: direction === 'inbound' ? cidr : any,
      dst: direction === 'inbound' ? any : cidr,
      srcPorts: [0, 65535],
      dstPorts,
      icmpType,
      icmpCode,
      tcpFlags: null,
      origin: { file, ...e.where },
    };
    if (e.description !== undefined) rule.description = e.description;
    const dup = byNumber[direction].get(number!);
    if (dup !== undefined) fail('ruleNumber', `duplicate ${direction === 'inbound' ? 'ingress' : 'egress'} rule number ${number} (also at ${dup})`);
    const at = where(e.where) || 'an earlier entry';
    byNumber[direction].set(number!, at);
    lists[direction].push({ n: number!, rule, where: at });
  }
  const acl: Acl = { ...meta, inbound: [], outbound: [], warnings };
  for (const direction of ['inbound', 'outbound'] as const) {
    const sorted = lists[direction].sort((a, b) => a.n - b.n).map((x) => x.rule);
    for (const family of [4, 6] as const) {
      const count = sorted.filter((r) => r.family === family).length;
      const what = `${direction === 'inbound' ? 'ingress' : 'egress'} has ${count} IPv${family} rules`;
      if (count > AWS_MAX_RULES && opts.awsLimits !== false) {
        throw new AclInvalidError(file, `${meta.id}: ${what}; AWS allows at most ${AWS_MAX_RULES} per direction and family (use --no-aws-limits to check it anyway)`);
      }
      if (count > AWS_MAX_RULES) warnings.push(`${meta.id}: ${what}, above the AWS maximum of ${AWS_MAX_RULES}`);
      else if (count > AWS_DEFAULT_RULES) warnings.push(`${meta.id}: ${what}, above the AWS default quota of ${AWS_DEFAULT_RULES} (raisable to ${AWS_MAX_RULES})`);
    }
    const origin = { file, path: `${meta.id} (implicit)` };
    acl[direction] = [...sorted, defaultDeny(4, direction, origin), defaultDeny(6, direction, origin)];
  }
  return acl;
}

/** The '*' entry of describe-network-acls output: 32767 denying all IPv4 traffic, or 32768 denying all IPv6 traffic. */
function isDefaultDeny(number: number, cidr: Rule['src'], protocol: number, action: string): boolean {
  return ((number === 32767 && cidr.family === 4) || (number === 32768 && cidr.family === 6)) && cidr.prefix === 0 && protocol === -1 && action === 'deny';
}

function where(w: { path?: string; line?: number }): string {
  if (w.path !== undefined) return w.path;
  if (w.line !== undefined) return `line ${w.line}`;
  return '';
}
