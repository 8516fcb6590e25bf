/**
 * The general stateless rule and ACL: ordered first-match rule lists per direction, 5-tuple plus ICMP type/code and
 * TCP flags. Format importers (src/acl/formats) encode their own semantics (AWS, ClassBench) into this model.
 */
import { parseAddress as parseIpv4, formatAddress as formatIpv4 } from '../wire/ipv4.js';
import { parseAddress as parseIpv6, formatAddress as formatIpv6 } from '../wire/ipv6.js';

/** Most rules one direction of an ACL may hold (verdict codes carry the rule index in 16 bits, 0xffff = no match). */
export const MAX_RULES = 65534;

export type Action = 'allow' | 'deny';
/** AWS ingress = inbound, egress = outbound. */
export type Direction = 'inbound' | 'outbound';
export type AclFormat = 'aws' | 'cloudformation' | 'terraform' | 'yaml' | 'classbench';

/** An address prefix; IPv4 uses words[0] only, the other words are 0. Host bits are always zero. */
export interface Cidr {
  family: 4 | 6;
  words: [number, number, number, number];
  prefix: number;
}

/** Where a rule or ACL came from, for messages and reports. */
export interface Origin {
  file: string;
  line?: number;
  path?: string;
}

/** One stateless rule; semantics are defined by src/acl/linear.ts. */
export interface Rule {
  /** AWS RuleNumber ('*' = the implicit deny, shown by AWS as 32767 for IPv4 and 32768 for IPv6); ClassBench: 1-based line. */
  ruleNumber: number | '*';
  action: Action;
  family: 4 | 6;
  /** Match when (packet proto & protocolMask) === (protocol & protocolMask); mask 0 = any protocol. */
  protocol: number;
  protocolMask: number;
  src: Cidr;
  dst: Cidr;
  /** Inclusive ranges; [0, 65535] = any, which also matches packets of protocols without ports. */
  srcPorts: [number, number];
  dstPorts: [number, number];
  /** -1 = any. */
  icmpType: number;
  icmpCode: number;
  tcpFlags: { value: number; mask: number } | null;
  origin: Origin;
  description?: string;
}

/** A subnet the ACL is associated with; cidr is null until resolved (e.g. with describe-subnets output). */
export interface Association {
  subnetId: string | null;
  cidr: string | null;
}

/** An ACL: ordered rule lists per direction (AWS: ascending rule number, then the '*' denies). */
export interface Acl {
  id: string;
  name: string | null;
  file: string;
  format: AclFormat;
  inbound: Rule[];
  outbound: Rule[];
  associations: Association[];
  tags: Record<string, string>;
  warnings: string[];
}

/** The ports slot of a packet whose protocol has no ports (see hasPorts in src/decode/batch.ts). */
export const PORTLESS = 65536;
/** The ICMP type/code slot of a packet that is not ICMP (proto 1 on IPv4, 58 on IPv6). */
export const NOT_ICMP = 65536;
/** The TCP-flags slot of a packet that is not TCP. */
export const NOT_TCP = 65536;

export const ANY_PORTS: Readonly<[number, number]> = [0, 65535];

/** True when a port range is the full 0-65535 (a wildcard that also matches portless packets). */
export function isAnyPorts(r: readonly [number, number]): boolean {
  return r[0] === 0 && r[1] === 65535;
}

/** The /0 prefix of a family. */
export function anyCidr(family: 4 | 6): Cidr {
  return { family, words: [0, 0, 0, 0], prefix: 0 };
}

/** Zero the host bits of four words for a prefix length (IPv4 uses word 0 only). */
export function maskWords(family: 4 | 6, words: [number, number, number, number], prefix: number): [number, number, number, number] {
  const out: [number, number, number, number] = [0, 0, 0, 0];
  const nw = family === 4 ? 1 : 4;
  for (let w = 0; w < nw; w++) {
    const bits = Math.max(0, Math.min(32, prefix - 32 * w));
    const m = bits === 0 ? 0 : bits === 32 ? 0xffffffff : (0xffffffff << (32 - bits)) >>> 0;
    out[w] = (words[w]! & m) >>> 0;
  }
  return out;
}

/** Result of parsing CIDR text: the prefix, or why it is not one. */
export type CidrParse = { ok: true; cidr: Cidr; hostBits: boolean } | { ok: false; reason: string };

/** Parse "a.b.c.d/len" or "x::y/len" (a bare address means a host prefix). Host bits are cleared and reported. */
export function parseCidr(text: string): CidrParse {
  if (typeof text !== 'string') return { ok: false, reason: 'not a string' };
  const t = text.trim();
  const slash = t.indexOf('/');
  const addr = slash < 0 ? t : t.slice(0, slash);
  const lenText = slash < 0 ? null : t.slice(slash + 1);
  let family: 4 | 6;
  let words: [number, number, number, number];
  if (addr.includes(':')) {
    const w = parseIpv6(addr);
    if (!w) return { ok: false, reason: 'not an IPv6 address' };
    family = 6;
    words = w;
  } else {
    const a = parseIpv4(addr);
    if (a < 0) return { ok: false, reason: 'not an IPv4 address' };
    family = 4;
    words = [a >>> 0, 0, 0, 0];
  }
  const max = family === 4 ? 32 : 128;
  let prefix = max;
  if (lenText !== null) {
    if (!/^\d{1,3}$/.test(lenText) || Number(lenText) > max) return { ok: false, reason: `prefix length must be 0-${max}` };
    prefix = Number(lenText);
  }
  const masked = maskWords(family, words, prefix);
  const hostBits = masked.some((x, i) => x !== words[i]);
  return { ok: true, cidr: { family, words: masked, prefix }, hostBits };
}

/** Canonical text of a prefix. */
export function formatCidr(c: Cidr): string {
  const a = c.family === 4 ? formatIpv4(c.words[0]) : formatIpv6(c.words[0], c.words[1], c.words[2], c.words[3]);
  return `${a}/${c.prefix}`;
}

/** True when the address at `words[off..]` (one word for IPv4, four for IPv6) lies in the prefix. */
export function cidrContains(c: Cidr, words: ArrayLike<number>, off: number): boolean {
  const nw = c.family === 4 ? 1 : 4;
  for (let w = 0; w < nw; w++) {
    const bits = Math.max(0, Math.min(32, c.prefix - 32 * w));
    if (bits === 0) return true;
    const m = bits === 32 ? 0xffffffff : (0xffffffff << (32 - bits)) >>> 0;
    if (((words[off + w]! & m) >>> 0) !== c.words[w]) return false;
  }
  return true;
}

const PROTOCOL_NAMES: Record<string, number> = {
  all: -1,
  '-1': -1,
  icmp: 1,
  igmp: 2,
  tcp: 6,
  udp: 17,
  gre: 47,
  esp: 50,
  ah: 51,
  icmpv6: 58,
  'ipv6-icmp': 58,
  sctp: 132,
};

/** A protocol given as a name (tcp, udp, icmp, icmpv6, all) or a number (-1 = all); null when unknown. */
export function parseProtocol(v: unknown): number | null {
  if (typeof v === 'number') return Number.isInteger(v) && v >= -1 && v <= 255 ? v : null;
  if (typeof v !== 'string') return null;
  const s = v.trim().toLowerCase();
  if (/^-?\d+$/.test(s)) return parseProtocol(Number(s));
  return Object.prototype.hasOwnProperty.call(PROTOCOL_NAMES, s) ? PROTOCOL_NAMES[s]! : null;
}

/** A protocol number as people say it: tcp, udp, icmp, icmpv6, all, else the number. */
export function protocolName(protocol: number, mask = 0xff): string {
  if (mask === 0 || protocol === -1) return 'all';
  switch (protocol) {
    case 1:
      return 'icmp';
    case 6:
      return 'tcp';
    case 17:
      return 'udp';
    case 58:
      return 'icmpv6';
    default:
      return String(protocol);
  }
}

/** How a rule number is shown: the number, or "*" for the implicit deny. */
export function ruleLabel(r: Rule): string {
  return r.ruleNumber === '*' ? '*' : String(r.ruleNumber);
}

/** A port range as text: "any", "443" or "1024-65535". */
export function formatPorts(r: readonly [number, number]): string {
  if (isAnyPorts(r)) return 'any';
  return r[0] === r[1] ? String(r[0]) : `${r[0]}-${r[1]}`;
}

/** One-line description of a rule, for messages and tables. */
export function describeRule(r: Rule): string {
  const parts = [ruleLabel(r), r.action, `IPv${r.family}`, protocolName(r.protocol, r.protocolMask)];
  if (r.protocolMask !== 0 && r.protocolMask !== 0xff) parts[3] = `${r.protocol}/0x${r.protocolMask.toString(16)}`;
  parts.push(`${formatCidr(r.src)} -> ${formatCidr(r.dst)}`);
  if (!isAnyPorts(r.srcPorts)) parts.push(`sport ${formatPorts(r.srcPorts)}`);
  if (!isAnyPorts(r.dstPorts)) parts.push(`dport ${formatPorts(r.dstPorts)}`);
  if (r.icmpType !== -1) parts.push(`icmp ${r.icmpType}/${r.icmpCode === -1 ? 'any' : r.icmpCode}`);
  if (r.tcpFlags && r.tcpFlags.mask !== 0) parts.push(`flags 0x${r.tcpFlags.value.toString(16)}/0x${r.tcpFlags.mask.toString(16)}`);
  return parts.join(' ');
}

/** The implicit AWS deny of a family: rule '*', all protocols, /0 (AWS shows 32767 for IPv4, 32768 for IPv6). */
export function defaultDeny(family: 4 | 6, direction: Direction, origin: Origin): Rule {
  const any = anyCidr(family);
  return {
    ruleNumber: '*',
    action: 'deny',
    family,
    protocol: 0,
    protocolMask: 0,
    src: direction === 'inbound' ? any : anyCidr(family),
    dst: direction === 'inbound' ? anyCidr(family) : any,
    srcPorts: [0, 65535],
    dstPorts: [0, 65535],
    icmpType: -1,
    icmpCode: -1,
    tcpFlags: null,
    origin,
    description: `implicit deny (AWS rule number ${family === 4 ? 32767 : 32768})`,
  };
}

/** Rules of one family in list order, with their indexes in the full list. */
export function rulesOfFamily(rules: readonly Rule[], family: 4 | 6): { rule: Rule; index: number }[] {
  const out: { rule: Rule; index: number }[] = [];
  rules.forEach((rule, index) => {
    if (rule.family === family) out.push({ rule, index });
  });
  return out;
}
