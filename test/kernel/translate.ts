/**
 * A network ACL as iptables/ip6tables rules for a server's network namespace, so that a real kernel enforces it
 * statelessly (no conntrack match anywhere): ingress entries on INPUT, egress entries on OUTPUT, both only for the
 * external interface (never lo); rules in evaluation order, each ACCEPT or DROP, the '*' deny last; ports on the
 * destination port (TCP/UDP); ICMP type/code; the CIDR is the source on ingress, the destination on egress; IPv4
 * rules in iptables, IPv6 rules in ip6tables (https://docs.aws.amazon.com/vpc/latest/userguide/nacl-rules.html).
 * Every DROP is preceded by an NFLOG with the prefix `nacl:<ingress|egress>:<rule>` so drops name their rule
 * (tcpdump -i nflog:<group>).
 *
 * What a network ACL never sees is accepted before the rules: traffic that does not cross the subnet boundary
 * (source inside on ingress, destination inside on egress, for the subnets given), and IPv6 link-local and
 * multicast traffic and neighbour discovery (router/neighbour solicitations and advertisements), which the VPC
 * answers itself (https://docs.aws.amazon.com/vpc/latest/userguide/nacl-basics.html).
 */
import { formatCidr, isAnyPorts, parseCidr, type Acl, type Direction, type Rule } from '../../src/acl/model.js';

export interface TranslateOptions {
  /** The server's external interface (e.g. eth0). */
  iface: string;
  /** NFLOG group the drops are logged to. */
  nflogGroup: number;
  /** The subnets the ACL guards (IPv4 and IPv6 CIDRs); traffic within them is not filtered. */
  subnets?: string[];
  /** Chain names are `<prefix>-ingress` and `<prefix>-egress` (default nacl). */
  chainPrefix?: string;
}

/** Arguments of every iptables / ip6tables command, in order, without the program name. */
export interface KernelRuleset {
  iptables: string[][];
  ip6tables: string[][];
}

/** A rule this translation cannot hand to iptables without changing what it matches. */
export class UntranslatableRuleError extends Error {
  constructor(direction: Direction, rule: Rule, why: string) {
    super(`${direction === 'inbound' ? 'ingress' : 'egress'} rule ${String(rule.ruleNumber)}: ${why}`);
    this.name = 'UntranslatableRuleError';
  }
}

/** ICMPv6 router solicitation, router advertisement, neighbour solicitation, neighbour advertisement. */
const ND_TYPES = [133, 134, 135, 136];

function portsArg(r: readonly [number, number]): string {
  return r[0] === r[1] ? String(r[0]) : `${r[0]}:${r[1]}`;
}

/** The match part of one rule (what follows `-A <chain>`). */
export function ruleMatch(direction: Direction, r: Rule): string[] {
  const fail = (why: string): never => {
    throw new UntranslatableRuleError(direction, r, why);
  };
  if (r.tcpFlags !== null && r.tcpFlags.mask !== 0) fail('TCP flags are not translated');
  const m: string[] = [];
  let proto = -1;
  if (r.protocolMask === 0xff) {
    proto = r.protocol;
    // iptables reads -p 0 as "all protocols", not as protocol 0 (HOPOPT).
    if (proto === 0) fail('protocol 0: iptables reads -p 0 as every protocol');
    if (proto === 6) m.push('-p', 'tcp');
    else if (proto === 17) m.push('-p', 'udp');
    else if (proto === 1 && r.family === 4) m.push('-p', 'icmp');
    else if (proto === 58 && r.family === 6) m.push('-p', 'ipv6-icmp');
    else m.push('-p', String(proto));
  } else if (r.protocolMask !== 0) fail(`protocol mask 0x${r.protocolMask.toString(16)}`);
  if (r.src.prefix !== 0) m.push('-s', formatCidr(r.src));
  if (r.dst.prefix !== 0) m.push('-d', formatCidr(r.dst));
  const ports = proto === 6 || proto === 17;
  if (!isAnyPorts(r.srcPorts) || !isAnyPorts(r.dstPorts)) {
    if (!ports) fail('ports on a protocol other than TCP or UDP');
    if (!isAnyPorts(r.srcPorts)) m.push('--sport', portsArg(r.srcPorts));
    if (!isAnyPorts(r.dstPorts)) m.push('--dport', portsArg(r.dstPorts));
  }
  if (r.icmpType !== -1) {
    const tc = r.icmpCode === -1 ? String(r.icmpType) : `${r.icmpType}/${r.icmpCode}`;
    if (proto === 1 && r.family === 4) m.push('--icmp-type', tc);
    else if (proto === 58 && r.family === 6) m.push('--icmpv6-type', tc);
    else fail(`ICMP type on protocol ${proto === -1 ? 'all' : proto} over IPv${r.family} (iptables matches ICMP types of ICMP over IPv4 and ICMPv6 only)`);
  }
  return m;
}

function chainRules(acl: Acl, family: 4 | 6, direction: Direction, chain: string, opts: TranslateOptions): string[][] {
  const dir = direction === 'inbound' ? 'ingress' : 'egress';
  const out: string[][] = [];
  const addrFlag = direction === 'inbound' ? '-s' : '-d';
  for (const s of opts.subnets ?? []) {
    const c = parseCidr(s);
    if (!c.ok) throw new Error(`subnet ${s}: ${c.reason}`);
    if (c.cidr.family === family) out.push(['-A', chain, addrFlag, formatCidr(c.cidr), '-j', 'ACCEPT']);
  }
  if (family === 6) {
    out.push(['-A', chain, addrFlag, 'fe80::/10', '-j', 'ACCEPT']);
    out.push(['-A', chain, '-d', 'ff00::/8', '-j', 'ACCEPT']);
    // Router and neighbour solicitations/advertisements, also between global addresses (RFC 4861 section 4).
    for (const t of ND_TYPES) out.push(['-A', chain, '-p', 'ipv6-icmp', '--icmpv6-type', String(t), '-j', 'ACCEPT']);
  }
  const rules = acl[direction].filter((r) => r.family === family);
  // AWS ends every direction with the '*' deny; an ACL model always carries it, but never end without one.
  const last = rules[rules.length - 1];
  const closed = last !== undefined && last.ruleNumber === '*';
  for (const r of rules) {
    const m = ruleMatch(direction, r);
    if (r.action === 'allow') out.push(['-A', chain, ...m, '-j', 'ACCEPT']);
    else {
      out.push(['-A', chain, ...m, '-j', 'NFLOG', '--nflog-group', String(opts.nflogGroup), '--nflog-prefix', `nacl:${dir}:${String(r.ruleNumber)}`]);
      out.push(['-A', chain, ...m, '-j', 'DROP']);
    }
  }
  if (!closed) {
    out.push(['-A', chain, '-j', 'NFLOG', '--nflog-group', String(opts.nflogGroup), '--nflog-prefix', `nacl:${dir}:*`]);
    out.push(['-A', chain, '-j', 'DROP']);
  }
  return out;
}

/** The iptables and ip6tables commands that make a kernel enforce `acl` on `opts.iface`. */
export function translateAcl(acl: Acl, opts: TranslateOptions): KernelRuleset {
  const prefix = opts.chainPrefix ?? 'nacl';
  const ing = `${prefix}-ingress`;
  const eg = `${prefix}-egress`;
  const family = (f: 4 | 6): string[][] => [
    ['-N', ing],
    ['-N', eg],
    ['-A', 'INPUT', '-i', opts.iface, '-j', ing],
    ['-A', 'OUTPUT', '-o', opts.iface, '-j', eg],
    ...chainRules(acl, f, 'inbound', ing, opts),
    ...chainRules(acl, f, 'outbound', eg, opts),
  ];
  return { iptables: family(4), ip6tables: family(6) };
}

function shellArg(a: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

/** The ruleset as shell command lines (`iptables -A ...`, then `ip6tables -A ...`). */
export function commandLines(rs: KernelRuleset): string[] {
  return [...rs.iptables.map((a) => ['iptables', ...a]), ...rs.ip6tables.map((a) => ['ip6tables', ...a])].map((argv) => argv.map(shellArg).join(' '));
}

/** iptables-restore input for one family's commands: replaces the whole filter table in one transaction. */
export function restoreInput(commands: string[][]): string {
  const lines = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]'];
  for (const c of commands) if (c[0] === '-N') lines.push(`:${c[1]} - [0:0]`);
  for (const c of commands) if (c[0] !== '-N') lines.push(c.map((a) => (/^[^\s"']+$/.test(a) ? a : `"${a}"`)).join(' '));
  lines.push('COMMIT', '');
  return lines.join('\n');
}
