/**
 * Terraform: one `resource "aws_network_acl"` block per ACL with inline ingress/egress blocks
 * (https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/network_acl), readable by
 * src/acl/formats/terraform.ts. Inline blocks need from_port/to_port on every protocol: 0/0 where ports do not apply.
 * vpc_id is `var.vpc_id` (declared here) unless a literal VPC id is given.
 */
import type { Acl, Rule } from '../model.js';
import { aclEntries, protocolWord, tagsWithName, type NetworkAclEntry } from './entries.js';

export interface TerraformOptions {
  /** A literal vpc_id; without it the block uses var.vpc_id and the output declares the variable. */
  vpcId?: string;
}

/** An HCL quoted string: escapes, and `${`/`%{` doubled so no template is read into it (HCL native syntax spec). */
export function hclString(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f || (c >= 0x80 && c < 0xa0) || c === 0x2028 || c === 0x2029) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `"${out.replace(/([$%])\{/g, '$1$1{')}"`;
}

/** A Terraform resource name from an ACL id: the last part of a Terraform address, else the id made an identifier. */
export function terraformName(id: string): string {
  const m = /(?:^|\.)aws_(?:default_)?network_acl\.([A-Za-z_][A-Za-z0-9_-]*)(?:\[[^\]]*\])?$/.exec(id);
  if (m) return m[1]!;
  const s = id.replace(/[^A-Za-z0-9_-]+/g, '_').replace(/^_+(?=.)/, '');
  return /^[A-Za-z_]/.test(s) ? s : `acl_${s}`;
}

function comment(text: string): string {
  return `# ${text.replace(/[\r\n\u2028\u2029]+/g, ' ')}`;
}

function ruleBlock(e: NetworkAclEntry, r: Rule | undefined): string[] {
  const attrs: [string, string][] = [
    ['rule_no', String(e.ruleNumber)],
    ['action', hclString(e.ruleAction)],
    ['protocol', hclString(protocolWord(e.protocol))],
  ];
  if (e.cidrBlock !== undefined) attrs.push(['cidr_block', hclString(e.cidrBlock)]);
  if (e.ipv6CidrBlock !== undefined) attrs.push(['ipv6_cidr_block', hclString(e.ipv6CidrBlock)]);
  attrs.push(['from_port', String(e.portRange?.from ?? 0)], ['to_port', String(e.portRange?.to ?? 0)]);
  if (e.icmpTypeCode) attrs.push(['icmp_type', String(e.icmpTypeCode.type)], ['icmp_code', String(e.icmpTypeCode.code)]);
  const width = Math.max(...attrs.map(([k]) => k.length));
  const lines = r?.description !== undefined ? [`  ${comment(r.description)}`] : [];
  lines.push(`  ${e.egress ? 'egress' : 'ingress'} {`, ...attrs.map(([k, v]) => `    ${k.padEnd(width)} = ${v}`), '  }');
  return lines;
}

/** Terraform HCL: an aws_network_acl resource per ACL (names unique), and the vpc_id variable when no VPC id is given. */
export function emitTerraform(acls: readonly Acl[], opts: TerraformOptions = {}): string {
  const used = new Set<string>();
  const blocks: string[] = [];
  if (opts.vpcId === undefined) blocks.push('variable "vpc_id" {\n  type = string\n}\n');
  for (const acl of acls) {
    let name = terraformName(acl.id);
    for (let k = 2; used.has(name); k++) name = `${terraformName(acl.id)}_${k}`;
    used.add(name);
    const { ingress, egress } = aclEntries(acl);
    const rules = (dir: 'inbound' | 'outbound') => new Map(acl[dir].filter((r) => r.ruleNumber !== '*').map((r) => [r.ruleNumber as number, r]));
    const inRules = rules('inbound');
    const outRules = rules('outbound');
    const lines = [`resource "aws_network_acl" ${hclString(name)} {`];
    if (acl.id !== name) lines.push(`  ${comment(`aclreplay id: ${acl.id}`)}`);
    lines.push(`  vpc_id = ${opts.vpcId === undefined ? 'var.vpc_id' : hclString(opts.vpcId)}`);
    const subnetIds = [...new Set(acl.associations.map((a) => a.subnetId).filter((s): s is string => s !== null))];
    if (subnetIds.length > 0) lines.push(`  subnet_ids = [${subnetIds.map(hclString).join(', ')}]`);
    for (const e of ingress) lines.push('', ...ruleBlock(e, inRules.get(e.ruleNumber)));
    for (const e of egress) lines.push('', ...ruleBlock(e, outRules.get(e.ruleNumber)));
    const tags = Object.entries(tagsWithName(acl));
    if (tags.length > 0) {
      lines.push('', '  tags = {');
      for (const [k, v] of tags) lines.push(`    ${hclString(k)} = ${hclString(v)}`);
      lines.push('  }');
    }
    lines.push('}');
    blocks.push(`${lines.join('\n')}\n`);
  }
  return blocks.join('\n');
}
