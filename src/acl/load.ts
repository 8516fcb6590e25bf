/**
 * Load ACLs from a file in any supported format, sniffed from the content (not only the extension): AWS
 * describe-network-acls JSON, CloudFormation, terraform show -json, .tf, native YAML, ClassBench filter sets.
 */
import { parseAclSpec } from './spec.js';
import { AclInvalidError } from '../errors.js';
import { excerpt } from '../text/quote.js';
import { readInputText } from './input.js';
import { parseYaml, tryParseYaml } from './yaml-parse.js';
import { MAX_RULES, type Acl } from './model.js';
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
  /** Size limit of each ACL, topology, describe-subnets and trace file read (default 64 MiB, DEFAULT_MAX_INPUT_BYTES). */
  maxInputBytes?: number;
}

export { parseAclSpec };


/** Parse ACL file content; `file` names it in messages. */
export function parseAclText(text: string, file: string, opts: LoadOptions = {}): Acl[] {
  const acls = parseAnyFormat(text, file, opts);
  for (const a of acls) {
    for (const dir of ['inbound', 'outbound'] as const) {
      // Verdict codes carry the rule index in 16 bits, 0xffff meaning "no rule matched".
      if (a[dir].length > MAX_RULES) throw new AclInvalidError(file, `${excerpt(a.id, 80)}: ${a[dir].length} ${dir} rules; at most ${MAX_RULES} per direction`);
    }
  }
  return acls;
}

export { MAX_RULES } from './model.js';

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
  // Native YAML is read once, the native way; anything else (CloudFormation tags, repeated keys) the CloudFormation way.
  const native = tryParseYaml(text, file);
  if (native && looksLikeNativeYaml(native.value) && !looksLikeCloudFormation(native.value)) return parseNativeYaml(text, file, build, native);
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
  const acls = parseAclText(readInputText(file, { what: 'an ACL file', maxBytes: opts.maxInputBytes }), file, opts);
  if (acls.length === 0) throw new AclInvalidError(file, 'no ACL in this file');
  if (id === null) return acls;
  const match = acls.filter((a) => a.id === id || a.name === id || a.id.endsWith(`.${id}`) || a.id.replace(/\[[^\]]*\]$/, '') === id);
  if (match.length === 0) {
    const shown = acls.slice(0, 10).map((a) => excerpt(a.id, 60) + (a.name ? ` (${excerpt(a.name, 60)})` : ''));
    const more = acls.length > shown.length ? ` and ${acls.length - shown.length} more` : '';
    throw new AclInvalidError(file, `no ACL '${excerpt(id)}' in this file; it has ${shown.join(', ')}${more}`);
  }
  return [match.find((a) => a.id === id) ?? match[0]!];
}

/** Subnets of an `aws ec2 describe-subnets` JSON file, by SubnetId. */
export function loadSubnets(file: string, opts: LoadOptions = {}): Map<string, SubnetInfo> {
  const text = readInputText(file, { what: 'a describe-subnets file', maxBytes: opts.maxInputBytes });
  return parseDescribeSubnets(parseJson(text, file), file);
}

/** The plain value of a YAML file that is not an ACL (a topology), read and parsed as safely as an ACL file. */
export function loadYamlFile(file: string, what: string, opts: LoadOptions = {}): unknown {
  return parseYaml(readInputText(file, { what, maxBytes: opts.maxInputBytes }), file).value;
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
export function loadTrace(file: string, opts: LoadOptions = {}): TracePackets {
  return parseClassBenchTrace(readInputText(file, { what: 'a ClassBench trace file', maxBytes: opts.maxInputBytes }), file);
}
