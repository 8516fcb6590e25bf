/**
 * Terraform network ACLs (AWS provider: aws_network_acl with inline ingress/egress blocks, aws_default_network_acl,
 * aws_network_acl_rule, aws_network_acl_association; https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/network_acl):
 * from `terraform show -json` output (plan: planned_values, state: values; https://developer.hashicorp.com/terraform/internals/json-format),
 * or from .tf files whose rule attributes are literals, variables with values, or locals.
 */
import { AclInvalidError } from '../../errors.js';
import { describeValue, excerpt } from '../../text/quote.js';
import type { Acl, Association } from '../model.js';
import { boolValue, buildAwsAcl, type BuildOptions, type EntrySpec } from './entries.js';
import { evaluate, HclEvalError, HclSyntaxError, parseHcl, traversalText, type Block, type Body, type Expr, type Scope } from './hcl.js';

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** True for `terraform show -json` output (plan or state). */
export function looksLikeTerraformJson(doc: unknown): boolean {
  return isObject(doc) && (isObject(doc.values) || isObject(doc.planned_values)) && ('format_version' in doc || 'terraform_version' in doc);
}

/** True for HCL text that declares network ACL resources or modules. */
export function looksLikeTerraformHcl(text: string): boolean {
  return /^\s*(resource|module|variable|locals|provider|terraform|data)\b[^\n]*\{/m.test(text);
}

interface TfResource {
  address: string;
  type: string;
  name: string;
  values: Json;
}

/** Deepest module nesting read from `terraform show -json` (child_modules, module_calls). */
const MAX_MODULE_DEPTH = 64;

function tooDeep(file: string, what: string): AclInvalidError {
  return new AclInvalidError(file, `${what} nest more than ${MAX_MODULE_DEPTH} levels deep`);
}

function collectResources(mod: unknown, out: TfResource[], file: string, depth = 0): void {
  if (!isObject(mod)) return;
  if (depth > MAX_MODULE_DEPTH) throw tooDeep(file, 'child_modules');
  if (Array.isArray(mod.resources)) {
    for (const r of mod.resources) {
      if (!isObject(r) || r.mode === 'data' || typeof r.type !== 'string') continue;
      out.push({ address: String(r.address ?? `${r.type}.${r.name}`), type: r.type, name: String(r.name ?? ''), values: isObject(r.values) ? r.values : {} });
    }
  }
  if (Array.isArray(mod.child_modules)) for (const c of mod.child_modules) collectResources(c, out, file, depth + 1);
}

/** Resource address (without instance key) -> the ACL address its network_acl_id expression references, from `configuration`. */
function configReferences(mod: unknown, prefix: string, out: Map<string, string>, file: string, depth = 0): void {
  if (!isObject(mod)) return;
  if (depth > MAX_MODULE_DEPTH) throw tooDeep(file, 'configuration module_calls');
  if (Array.isArray(mod.resources)) {
    for (const r of mod.resources) {
      if (!isObject(r) || !isObject(r.expressions)) continue;
      const refs = isObject(r.expressions.network_acl_id) ? r.expressions.network_acl_id.references : undefined;
      if (!Array.isArray(refs)) continue;
      const target = refs.map(String).find((x) => /^(aws_network_acl|aws_default_network_acl)\.[^.]+$/.test(x));
      if (target) out.set(`${prefix}${r.address}`, `${prefix}${target}`);
    }
  }
  if (isObject(mod.module_calls)) {
    for (const [name, call] of Object.entries(mod.module_calls)) if (isObject(call)) configReferences(call.module, `${prefix}module.${name}.`, out, file, depth + 1);
  }
}

function stripIndex(address: string): string {
  return address.replace(/\[[^\]]*\]$/, '');
}

interface AclBuild {
  id: string;
  awsId: string | null;
  tags: Record<string, string>;
  entries: EntrySpec[];
  subnetIds: string[];
}

function inlineEntries(address: string, values: Json, base: string, build: AclBuild): void {
  for (const dir of ['ingress', 'egress'] as const) {
    const list = values[dir];
    if (!Array.isArray(list)) continue;
    list.forEach((b, j) => {
      if (!isObject(b)) return;
      const path = `${base}.${dir}[${j}]`;
      build.entries.push({
        ruleNumber: b.rule_no,
        egress: dir === 'egress',
        protocol: b.protocol,
        action: b.action,
        cidrBlock: b.cidr_block,
        ipv6CidrBlock: b.ipv6_cidr_block,
        hasPorts: b.from_port !== undefined || b.to_port !== undefined,
        portFrom: b.from_port,
        portTo: b.to_port,
        icmpType: b.icmp_type,
        icmpCode: b.icmp_code,
        where: { path },
        field: (name) => ({ path: `${path}.${name}` }),
        names: INLINE_NAMES,
        description: `${address} ${dir} rule ${String(b.rule_no)}`,
      });
    });
  }
}

const INLINE_NAMES = { ruleNumber: 'rule_no', protocol: 'protocol', action: 'action', cidrBlock: 'cidr_block', ipv6CidrBlock: 'ipv6_cidr_block', portFrom: 'from_port', portTo: 'to_port', icmpType: 'icmp_type', icmpCode: 'icmp_code' };
const RULE_NAMES = { ...INLINE_NAMES, ruleNumber: 'rule_number', action: 'rule_action' };

function tagsOf(v: unknown): Record<string, string> {
  // Object.fromEntries: own properties for every key, "__proto__" too.
  const out: [string, string][] = [];
  if (isObject(v)) for (const [k, x] of Object.entries(v)) if (typeof x === 'string' || typeof x === 'number') out.push([k, String(x)]);
  return Object.fromEntries(out);
}

function finish(builds: Map<string, AclBuild>, subnets: Map<string, string[]>, file: string, opts: BuildOptions): Acl[] {
  return [...builds.values()].map((b) => {
    const associations: Association[] = [];
    for (const s of b.subnetIds) {
      const cidrs = subnets.get(s) ?? [];
      if (cidrs.length === 0) associations.push({ subnetId: s, cidr: null });
      for (const cidr of cidrs) associations.push({ subnetId: s, cidr });
    }
    return buildAwsAcl({ id: b.id, name: b.tags.Name ?? null, file, format: 'terraform', associations, tags: b.tags }, b.entries, opts);
  });
}

/** Every network ACL of `terraform show -json` output. */
export function parseTerraformJson(doc: unknown, file: string, opts: BuildOptions = {}): Acl[] {
  if (!isObject(doc)) throw new AclInvalidError(file, 'not terraform show -json output');
  const plan = isObject(doc.planned_values);
  const root = plan ? (doc.planned_values as Json).root_module : isObject(doc.values) ? doc.values.root_module : undefined;
  const rootKey = plan ? 'planned_values.root_module' : 'values.root_module';
  const resources: TfResource[] = [];
  collectResources(root, resources, file);
  const refs = new Map<string, string>();
  if (isObject(doc.configuration)) configReferences(doc.configuration.root_module, '', refs, file);

  const builds = new Map<string, AclBuild>();
  const byAwsId = new Map<string, AclBuild>();
  const subnets = new Map<string, string[]>();
  for (const r of resources) {
    if (r.type === 'aws_subnet' && typeof r.values.id === 'string') {
      subnets.set(r.values.id, [r.values.cidr_block, r.values.ipv6_cidr_block].filter((x): x is string => typeof x === 'string' && x !== ''));
    }
    if (r.type !== 'aws_network_acl' && r.type !== 'aws_default_network_acl') continue;
    const b: AclBuild = { id: r.address, awsId: typeof r.values.id === 'string' ? r.values.id : null, tags: tagsOf(r.values.tags), entries: [], subnetIds: [] };
    if (Array.isArray(r.values.subnet_ids)) for (const x of r.values.subnet_ids) if (typeof x === 'string') b.subnetIds.push(x);
    inlineEntries(r.address, r.values, `${rootKey} ${excerpt(r.address, 80)}.values`, b);
    builds.set(r.address, b);
    if (b.awsId) byAwsId.set(b.awsId, b);
  }
  for (const r of resources) {
    const target = (): AclBuild => {
      const aclId = r.values.network_acl_id;
      if (typeof aclId === 'string' && aclId !== '') {
        let b = byAwsId.get(aclId) ?? builds.get(aclId);
        if (!b) {
          b = { id: aclId, awsId: aclId, tags: {}, entries: [], subnetIds: [] };
          builds.set(aclId, b);
          byAwsId.set(aclId, b);
        }
        return b;
      }
      const ref = refs.get(stripIndex(r.address).replace(/\[[^\]]*\]/g, ''));
      const b = ref ? (builds.get(ref) ?? [...builds.values()].find((x) => stripIndex(x.id) === ref)) : undefined;
      if (!b) throw new AclInvalidError(file, 'network_acl_id is unknown and the configuration does not say which aws_network_acl it references', { path: `${rootKey} ${excerpt(r.address, 80)}.values.network_acl_id` });
      return b;
    };
    if (r.type === 'aws_network_acl_rule') {
      const v = r.values;
      const path = `${rootKey} ${excerpt(r.address, 80)}.values`;
      const egress = boolValue(v.egress ?? false);
      if (egress === null) throw new AclInvalidError(file, `egress ${describeValue(v.egress)} is not true or false`, { path: `${path}.egress` });
      target().entries.push({
        ruleNumber: v.rule_number,
        egress,
        protocol: v.protocol,
        action: v.rule_action,
        cidrBlock: v.cidr_block,
        ipv6CidrBlock: v.ipv6_cidr_block,
        hasPorts: v.from_port !== undefined && v.from_port !== null,
        portFrom: v.from_port,
        portTo: v.to_port,
        icmpType: v.icmp_type,
        icmpCode: v.icmp_code,
        where: { path },
        field: (name) => ({ path: `${path}.${name}` }),
        names: RULE_NAMES,
        description: r.address,
      });
    } else if (r.type === 'aws_network_acl_association' && typeof r.values.subnet_id === 'string') {
      target().subnetIds.push(r.values.subnet_id);
    }
  }
  if (builds.size === 0) throw new AclInvalidError(file, `no aws_network_acl, aws_default_network_acl or aws_network_acl_rule resources under ${rootKey}`);
  return finish(builds, subnets, file, opts);
}

/** Network ACLs declared in a .tf file with literal (or var/local) rule attributes. */
export function parseTerraformHcl(text: string, file: string, opts: BuildOptions & { params?: Record<string, string> } = {}): Acl[] {
  let body: Body;
  try {
    body = parseHcl(text);
  } catch (e) {
    if (e instanceof HclSyntaxError) throw new AclInvalidError(file, `not valid HCL: ${e.detail}`, { line: e.line });
    throw e;
  }
  const scope: Scope = { vars: new Map(), locals: new Map() };
  for (const b of body.blocks) {
    if (b.type === 'variable' && b.labels[0] !== undefined) {
      const d = b.body.attributes.get('default');
      if (d) {
        try {
          scope.vars.set(b.labels[0], evaluate(d.expr, scope));
        } catch {
          // a default that needs Terraform stays unknown; using it is reported where it is used
        }
      }
    }
    if (b.type === 'locals') for (const [k, a] of b.body.attributes) scope.locals.set(k, a.expr);
  }
  for (const [k, v] of Object.entries(opts.params ?? {})) scope.vars.set(k, v);

  const evalAttr = (address: string, body: Body, name: string): unknown => {
    const a = body.attributes.get(name);
    if (!a) return undefined;
    try {
      return evaluate(a.expr, scope);
    } catch (e) {
      if (e instanceof HclEvalError) throw new AclInvalidError(file, `${excerpt(address, 80)}: cannot evaluate ${name} = ${excerpt(a.text)}: ${e.detail}`, { line: e.line });
      throw e;
    }
  };
  const lenient = (body: Body, name: string): unknown => {
    const a = body.attributes.get(name);
    if (!a) return undefined;
    try {
      return evaluate(a.expr, scope);
    } catch {
      return undefined;
    }
  };
  const lineOf = (b: Block, name: string) => ({ line: b.body.attributes.get(name)?.line ?? b.line });

  const builds = new Map<string, AclBuild>();
  const resources = body.blocks.filter((b) => b.type === 'resource' && b.labels.length === 2);
  for (const b of resources) {
    const [type, name] = b.labels as [string, string];
    if (type !== 'aws_network_acl' && type !== 'aws_default_network_acl') continue;
    const address = `${type}.${name}`;
    for (const meta of ['count', 'for_each']) if (b.body.attributes.has(meta)) throw new AclInvalidError(file, `${excerpt(address, 80)}: ${meta} is not evaluated here; give 'terraform show -json' output instead`, lineOf(b, meta));
    const dynamic = b.body.blocks.find((x) => x.type === 'dynamic');
    if (dynamic) throw new AclInvalidError(file, `${excerpt(address, 80)}: dynamic "${excerpt(dynamic.labels[0] ?? '', 60)}" blocks are not evaluated here; give 'terraform show -json' output instead`, { line: dynamic.line });
    const build: AclBuild = { id: address, awsId: null, tags: tagsOf(lenient(b.body, 'tags')), entries: [], subnetIds: [] };
    for (const rb of b.body.blocks) {
      if (rb.type !== 'ingress' && rb.type !== 'egress') continue;
      const v = (n: string) => evalAttr(address, rb.body, n);
      build.entries.push({
        ruleNumber: v('rule_no'),
        egress: rb.type === 'egress',
        protocol: v('protocol'),
        action: v('action'),
        cidrBlock: v('cidr_block'),
        ipv6CidrBlock: v('ipv6_cidr_block'),
        hasPorts: rb.body.attributes.has('from_port') || rb.body.attributes.has('to_port'),
        portFrom: v('from_port'),
        portTo: v('to_port'),
        icmpType: v('icmp_type'),
        icmpCode: v('icmp_code'),
        where: { line: rb.line },
        field: (n) => lineOf(rb, n),
        names: INLINE_NAMES,
        description: `${address} ${rb.type}`,
      });
    }
    builds.set(address, build);
  }
  for (const b of resources) {
    const [type, name] = b.labels as [string, string];
    if (type !== 'aws_network_acl_rule' && type !== 'aws_network_acl_association') continue;
    const address = `${type}.${name}`;
    for (const meta of ['count', 'for_each']) if (b.body.attributes.has(meta)) throw new AclInvalidError(file, `${excerpt(address, 80)}: ${meta} is not evaluated here; give 'terraform show -json' output instead`, lineOf(b, meta));
    const ref = b.body.attributes.get('network_acl_id');
    const target = ref ? aclTarget(ref.expr) : null;
    const build = target ? builds.get(target) : undefined;
    if (!build) {
      throw new AclInvalidError(file, `${excerpt(address, 80)}: network_acl_id = ${excerpt(ref?.text ?? '(missing)')} does not refer to an aws_network_acl of this file`, ref ? { line: ref.line } : { line: b.line });
    }
    if (type === 'aws_network_acl_association') continue;
    const v = (n: string) => evalAttr(address, b.body, n);
    const egress = boolValue(v('egress') ?? false);
    if (egress === null) throw new AclInvalidError(file, `${excerpt(address, 80)}: egress is not true or false`, lineOf(b, 'egress'));
    build.entries.push({
      ruleNumber: v('rule_number'),
      egress,
      protocol: v('protocol'),
      action: v('rule_action'),
      cidrBlock: v('cidr_block'),
      ipv6CidrBlock: v('ipv6_cidr_block'),
      hasPorts: b.body.attributes.has('from_port') || b.body.attributes.has('to_port'),
      portFrom: v('from_port'),
      portTo: v('to_port'),
      icmpType: v('icmp_type'),
      icmpCode: v('icmp_code'),
      where: { line: b.line },
      field: (n) => lineOf(b, n),
      names: RULE_NAMES,
      description: address,
    });
  }
  if (builds.size === 0) {
    const mod = body.blocks.find((b) => b.type === 'module');
    const hint = mod
      ? `; its network ACLs come from module "${excerpt(mod.labels[0] ?? '', 60)}" (line ${mod.line}), whose inputs are not evaluated here: run terraform plan and give 'terraform show -json' output instead`
      : '';
    throw new AclInvalidError(file, `no resource "aws_network_acl" or "aws_default_network_acl" in this file${hint}`);
  }
  return finish(builds, new Map(), file, opts);
}

function aclTarget(e: Expr): string | null {
  const t = traversalText(e);
  const m = /^(aws_network_acl|aws_default_network_acl)\.([A-Za-z0-9_-]+)\.id$/.exec(t);
  return m ? `${m[1]}.${m[2]}` : null;
}
