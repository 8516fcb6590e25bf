/**
 * Load ACLs from a file in any supported format, sniffed from the content (not only the extension): AWS
 * describe-network-acls JSON, CloudFormation, terraform show -json, .tf, native YAML, ClassBench filter sets.
 */
import { parseAclSpec } from './spec.js';
import { readFileSync } from 'node:fs';
import { AclInvalidError, fromSystemError } from '../errors.js';
import type { Acl } from './model.js';
import { parseDescribeNetworkAcls, parseDescribeSubnets, parseJson, type SubnetInfo } from './formats/aws.js';
import { looksLikeClassBench, looksLikeTrace, parseClassBench, parseClassBenchTrace } from './formats/classbench.js';
import { looksLikeCloudFormation, parseCfnYaml, parseCloudFormation } from './formats/cloudformation.js';
import { looksLikeTerraformHcl, looksLikeTerraformJson, parseTerraformHcl, parseTerraformJson } from './formats/terraform.js';
import { looksLikeNativeYaml, parseNativeYaml } from './formats/yaml.js';
import type { TracePackets } from './trace.js';

export interface LoadOptions {
  /** CloudFormation parameters / Terraform variables (CLI --param Name=Value). */
  params?: Record<string, string>;
  /** Enforce the AWS maximum of 40 rules per direction and family (default true; CLI --no-aws-limits). */
  awsLimits?: boolean;
}

export { parseAclSpec };

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  } catch (e) {
    throw fromSystemError(file, e);
  }
}

/** Parse ACL file content; `file` names it in messages. */
export function parseAclText(text: string, file: string, opts: LoadOptions = {}): Acl[] {
  const acls = parseAnyFormat(text, file, opts);
  for (const a of acls) {
    for (const dir of ['inbound', 'outbound'] as const) {
      // Verdict codes carry the rule index in 16 bits, 0xffff meaning "no rule matched".
      if (a[dir].length > MAX_RULES) throw new AclInvalidError(file, `${a.id}: ${a[dir].length} ${dir} rules; at most ${MAX_RULES} per direction`);
    }
  }
  return acls;
}

/** Most rules one direction of an ACL may hold. */
export const MAX_RULES = 65534;

function parseAnyFormat(text: string, file: string, opts: LoadOptions): Acl[] {
  const build = { awsLimits: opts.awsLimits !== false };
  const trimmed = text.trimStart();
  if (trimmed === '') throw new AclInvalidError(file, 'empty file');
  if (looksLikeClassBench(text)) return [parseClassBench(text, file)];
  if (trimmed[0] === '{' || trimmed[0] === '[') {
    const doc = parseJson(text, file);
    return parseDocument(doc, text, file, opts, build, true);
  }
  if (/\.tf$/i.test(file) || (looksLikeTerraformHcl(text) && !/^\s*[A-Za-z_]+\s*:/m.test(text))) {
    return parseTerraformHcl(text, file, { ...build, params: opts.params ?? {} });
  }
  if (looksLikeTrace(text)) throw new AclInvalidError(file, 'this is a ClassBench trace (packets), not a rule set; give it with --trace');
  const doc = parseCfnYaml(text, file);
  return parseDocument(doc, text, file, opts, build, false);
}

function parseDocument(doc: unknown, text: string, file: string, opts: LoadOptions, build: { awsLimits: boolean }, json: boolean): Acl[] {
  const o = doc as Record<string, unknown> | null;
  if (o && typeof o === 'object' && Array.isArray(o.NetworkAcls)) return parseDescribeNetworkAcls(doc, file, build);
  if (looksLikeCloudFormation(doc)) return parseCloudFormation(doc, file, { ...build, params: opts.params ?? {} });
  if (looksLikeTerraformJson(doc)) return parseTerraformJson(doc, file, build);
  if (looksLikeNativeYaml(doc)) return parseNativeYaml(text, file, build);
  if (o && typeof o === 'object' && Array.isArray(o.Subnets)) throw new AclInvalidError(file, 'this is describe-subnets output; give it with --subnets');
  if (o && typeof o === 'object' && 'Resources' in o) throw new AclInvalidError(file, 'CloudFormation template without AWS::EC2::NetworkAcl or AWS::EC2::NetworkAclEntry resources');
  throw new AclInvalidError(
    file,
    `unrecognized ${json ? 'JSON' : 'YAML'} ACL format: expected describe-network-acls (NetworkAcls), a CloudFormation template (Resources), terraform show -json (values / planned_values), or native YAML (acls:)`,
  );
}

/** Load the ACLs of `file`, or of `file#id` only: id is an ACL id (NetworkAclId, logical id, Terraform address, YAML id) or name. */
export function loadAcls(spec: string, opts: LoadOptions = {}): Acl[] {
  const { file, id } = parseAclSpec(spec);
  const acls = parseAclText(readText(file), file, opts);
  if (acls.length === 0) throw new AclInvalidError(file, 'no ACL in this file');
  if (id === null) return acls;
  const match = acls.filter((a) => a.id === id || a.name === id || a.id.endsWith(`.${id}`) || a.id.replace(/\[[^\]]*\]$/, '') === id);
  if (match.length === 0) throw new AclInvalidError(file, `no ACL '${id}' in this file; it has ${acls.map((a) => a.id + (a.name ? ` (${a.name})` : '')).join(', ')}`);
  return [match.find((a) => a.id === id) ?? match[0]!];
}

/** Subnets of an `aws ec2 describe-subnets` JSON file, by SubnetId. */
export function loadSubnets(file: string): Map<string, SubnetInfo> {
  return parseDescribeSubnets(parseJson(readText(file), file), file);
}

/** Give each association its subnet's CIDRs (one association per CIDR; a dual-stack subnet gives two). */
export function resolveAssociations(acls: Acl[], subnets: Map<string, SubnetInfo>): void {
  for (const acl of acls) {
    const out: Acl['associations'] = [];
    for (const a of acl.associations) {
      const s = a.cidr === null && a.subnetId !== null ? subnets.get(a.subnetId) : undefined;
      if (!s) {
        out.push(a);
        continue;
      }
      const cidrs = [s.cidr, ...s.ipv6Cidrs].filter((x): x is string => x !== null);
      if (cidrs.length === 0) out.push(a);
      for (const cidr of cidrs) out.push({ subnetId: a.subnetId, cidr });
    }
    acl.associations = out;
  }
}

/** Load a ClassBench header trace. */
export function loadTrace(file: string): TracePackets {
  return parseClassBenchTrace(readText(file), file);
}
