/**
 * Applies `aws ec2 create/replace/delete-network-acl-entry` command lines to a describe-network-acls document the
 * way EC2 does (https://docs.aws.amazon.com/cli/latest/reference/ec2/create-network-acl-entry.html): options parsed
 * as the AWS CLI takes them, protocol names stored as numbers, a create of an existing (rule number, egress) or a
 * replace/delete of a missing one an error (NetworkAclEntryAlreadyExists / InvalidNetworkAclEntry.NotFound). The
 * result is read back with our describe-network-acls importer, so a test never trusts our own model of a change.
 */
import type { Acl } from '../../src/acl/model.js';
import { aclEntries } from '../../src/acl/emit/entries.js';
import { parseAclText } from '../../src/acl/load.js';

/** A describe-network-acls entry. */
export interface DescribeEntry {
  RuleNumber: number;
  Protocol: string;
  RuleAction: 'allow' | 'deny';
  Egress: boolean;
  CidrBlock?: string;
  Ipv6CidrBlock?: string;
  PortRange?: { From: number; To: number };
  IcmpTypeCode?: { Type: number; Code: number };
}

/** POSIX shell words of a command line (plain words and single-quoted ones, as shellWord writes them). */
export function shellWords(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === "'") quoted = false;
      else cur += ch;
    } else if (ch === "'") {
      quoted = true;
      inWord = true;
    } else if (ch === '\\' && i + 1 < line.length) {
      cur += line[++i];
      inWord = true;
    } else if (ch === ' ' || ch === '\t') {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (quoted) throw new Error(`unterminated quote in: ${line}`);
  if (inWord) out.push(cur);
  return out;
}

const PROTOCOLS: Record<string, string> = { tcp: '6', udp: '17', icmp: '1', icmpv6: '58', all: '-1', '-1': '-1' };

function keyValues(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of text.split(',')) {
    const [k, v] = part.split('=');
    if (k === undefined || v === undefined || !/^-?\d+$/.test(v)) throw new Error(`bad shorthand '${text}'`);
    out[k] = Number(v);
  }
  return out;
}

/** Apply one command line to the entries of the ACL it names (`acls`: NetworkAclId -> entries). */
export function applyCommand(acls: Map<string, DescribeEntry[]>, line: string): void {
  const w = shellWords(line);
  if (w[0] !== 'aws' || w[1] !== 'ec2') throw new Error(`not an aws ec2 command: ${line}`);
  const op = /^(create|replace|delete)-network-acl-entry$/.exec(w[2] ?? '')?.[1];
  if (!op) throw new Error(`not a network ACL entry command: ${line}`);
  const o: Record<string, string | true> = {};
  for (let i = 3; i < w.length; i++) {
    const name = w[i]!;
    if (!name.startsWith('--')) throw new Error(`unexpected '${name}' in: ${line}`);
    if (name === '--egress' || name === '--ingress') o[name] = true;
    else o[name] = w[++i] ?? '';
  }
  const id = o['--network-acl-id'];
  if (typeof id !== 'string') throw new Error(`no --network-acl-id: ${line}`);
  const entries = acls.get(id);
  if (!entries) throw new Error(`InvalidNetworkAclID.NotFound: ${id}`);
  const egress = o['--egress'] === true;
  if (egress === (o['--ingress'] === true)) throw new Error(`give exactly one of --egress and --ingress: ${line}`);
  const ruleNumber = Number(o['--rule-number']);
  if (!Number.isInteger(ruleNumber) || ruleNumber < 1 || ruleNumber > 32766) throw new Error(`bad --rule-number: ${line}`);
  const at = entries.findIndex((e) => e.RuleNumber === ruleNumber && e.Egress === egress);
  if (op === 'delete') {
    if (at < 0) throw new Error(`InvalidNetworkAclEntry.NotFound: ${egress ? 'egress' : 'ingress'} ${ruleNumber}`);
    entries.splice(at, 1);
    return;
  }
  if (op === 'create' && at >= 0) throw new Error(`NetworkAclEntryAlreadyExists: ${egress ? 'egress' : 'ingress'} ${ruleNumber}`);
  if (op === 'replace' && at < 0) throw new Error(`InvalidNetworkAclEntry.NotFound: ${egress ? 'egress' : 'ingress'} ${ruleNumber}`);
  const proto = String(o['--protocol'] ?? '').toLowerCase();
  const Protocol = PROTOCOLS[proto] ?? (/^\d+$/.test(proto) ? proto : null);
  if (Protocol === null) throw new Error(`bad --protocol '${proto}'`);
  const action = o['--rule-action'];
  if (action !== 'allow' && action !== 'deny') throw new Error(`bad --rule-action: ${line}`);
  const e: DescribeEntry = { RuleNumber: ruleNumber, Protocol, RuleAction: action, Egress: egress };
  if (typeof o['--cidr-block'] === 'string') e.CidrBlock = o['--cidr-block'];
  if (typeof o['--ipv6-cidr-block'] === 'string') e.Ipv6CidrBlock = o['--ipv6-cidr-block'];
  if ((e.CidrBlock === undefined) === (e.Ipv6CidrBlock === undefined)) throw new Error(`give exactly one of --cidr-block and --ipv6-cidr-block: ${line}`);
  if (typeof o['--port-range'] === 'string') {
    const kv = keyValues(o['--port-range']);
    e.PortRange = { From: kv.From!, To: kv.To! };
  } else if (Protocol === '6' || Protocol === '17') throw new Error(`TCP and UDP entries need --port-range: ${line}`);
  if (typeof o['--icmp-type-code'] === 'string') {
    const kv = keyValues(o['--icmp-type-code']);
    e.IcmpTypeCode = { Type: kv.Type!, Code: kv.Code! };
  }
  if (op === 'create') entries.push(e);
  else entries[at] = e;
}

/** An ACL's entries as describe-network-acls lists them (egress first), from the writers' AWS entries. */
export function describeEntries(acl: Acl): DescribeEntry[] {
  const { ingress, egress } = aclEntries(acl);
  return [...egress, ...ingress].map((e) => ({
    RuleNumber: e.ruleNumber,
    Protocol: e.protocol,
    RuleAction: e.ruleAction,
    Egress: e.egress,
    ...(e.cidrBlock !== undefined ? { CidrBlock: e.cidrBlock } : { Ipv6CidrBlock: e.ipv6CidrBlock! }),
    ...(e.portRange ? { PortRange: { From: e.portRange.from, To: e.portRange.to } } : {}),
    ...(e.icmpTypeCode ? { IcmpTypeCode: { Type: e.icmpTypeCode.type, Code: e.icmpTypeCode.code } } : {}),
  }));
}

/** The ACL after the commands, applied EC2's way and read back with our describe-network-acls importer. */
export function applyCommands(acl: Acl, commands: readonly string[]): Acl {
  const acls = new Map([[acl.id, describeEntries(acl)]]);
  for (const c of commands) applyCommand(acls, c);
  const back = parseAclText(describeDocument(acl.id, acls.get(acl.id)!), `${acl.id}-applied.json`);
  return back[0]!;
}

/** A describe-network-acls document of one ACL from its entries. */
export function describeDocument(id: string, entries: DescribeEntry[]): string {
  return JSON.stringify({ NetworkAcls: [{ NetworkAclId: id, Entries: entries, Associations: [], IsDefault: false, Tags: [] }] });
}
