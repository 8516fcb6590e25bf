/**
 * CloudFormation templates (YAML with short-form intrinsic tags, or JSON): AWS::EC2::NetworkAcl and
 * AWS::EC2::NetworkAclEntry (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-ec2-networkaclentry.html),
 * subnet associations through AWS::EC2::SubnetNetworkAclAssociation. Intrinsics are evaluated as far as the template
 * and the given parameters allow; a rule field that cannot be resolved is an error naming the resource and field.
 */
import { Pair, Scalar, YAMLMap, type Tags } from 'yaml';
import { AclInvalidError } from '../../errors.js';
import { describeValue, excerpt } from '../../text/quote.js';
import type { Acl } from '../model.js';
import { parseYaml } from '../yaml-parse.js';
import { boolValue, buildAwsAcl, type BuildOptions, type EntrySpec } from './entries.js';

type Json = Record<string, unknown>;

const INTRINSICS = ['Ref', 'Condition', 'Select', 'GetAtt', 'Sub', 'If', 'Join', 'GetAZs', 'Split', 'ImportValue', 'FindInMap', 'Equals', 'Not', 'And', 'Or', 'Base64', 'Cidr', 'Transform', 'Length', 'ToJsonString', 'GetParam'];

/**
 * yaml customTags turning every CloudFormation short form (!Ref, !Select, ...) into its long form. A sequence or
 * mapping stays a YAML node under the long-form key, so aliases inside it resolve (and count) like any other.
 */
export const CFN_TAGS: Tags = INTRINSICS.flatMap((f) => {
  const key = f === 'Ref' || f === 'Condition' ? f : `Fn::${f}`;
  const wrap = (node: unknown): YAMLMap => {
    const m = new YAMLMap();
    m.items.push(new Pair(new Scalar(key), node));
    return m;
  };
  return [
    { tag: `!${f}`, resolve: (s: string) => ({ [key]: f === 'GetAtt' ? s.split('.') : s }) },
    { tag: `!${f}`, collection: 'seq' as const, resolve: wrap },
    { tag: `!${f}`, collection: 'map' as const, resolve: wrap },
  ];
}) as Tags;

/** Parse YAML (or JSON) with the CloudFormation tags; errors become AclInvalidError with the line. */
export function parseCfnYaml(text: string, file: string): unknown {
  return parseYaml(text, file, { customTags: CFN_TAGS, duplicateKeys: true }).value;
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** True for a template that declares network ACL resources. */
export function looksLikeCloudFormation(doc: unknown): boolean {
  if (!isObject(doc) || !isObject(doc.Resources)) return false;
  return Object.values(doc.Resources).some((r) => isObject(r) && typeof r.Type === 'string' && r.Type.startsWith('AWS::EC2::NetworkAcl'));
}

/** A value that cannot be known from the template alone. */
class Unresolved extends Error {}

/** A template that cannot be evaluated at all (a loop of conditions, nesting past the limit): always an error. */
class TemplateError extends Error {
  constructor(
    message: string,
    /** Where, when it is not the field being read (e.g. Conditions.A). */
    readonly path?: string,
  ) {
    super(message);
  }
}

/** Deepest nesting of intrinsic functions, lists and mappings evaluated in one value. */
export const MAX_EVAL_DEPTH = 64;
/** Longest string !Sub or !Join may build (1 MiB): a template that repeats a long value must not exhaust memory. */
const MAX_STRING = 1 << 20;

/** A reference to a resource of the template (the value of !Ref LogicalId). */
interface ResourceRef {
  resourceRef: string;
}

function isResourceRef(v: unknown): v is ResourceRef {
  return isObject(v) && typeof v.resourceRef === 'string';
}

const NO_VALUE = Symbol('AWS::NoValue');

class Evaluator {
  private readonly params = new Map<string, unknown>();
  private readonly conditions = new Map<string, boolean>();
  /** Conditions being evaluated, outermost first: a name met again is a loop. */
  private readonly deciding: string[] = [];
  private depth = 0;

  constructor(
    private readonly template: Json,
    given: Record<string, string>,
  ) {
    const declared = isObject(template.Parameters) ? template.Parameters : {};
    for (const [name, p] of Object.entries(declared)) {
      const list = isObject(p) && typeof p.Type === 'string' && (p.Type === 'CommaDelimitedList' || p.Type.startsWith('List<'));
      const raw = given[name] ?? (isObject(p) ? p.Default : undefined);
      if (raw === undefined) continue;
      this.params.set(name, list ? String(raw).split(',').map((s) => s.trim()) : raw);
    }
    for (const [name, v] of Object.entries(given)) if (!this.params.has(name)) this.params.set(name, v);
  }

  private resources(): Json {
    return isObject(this.template.Resources) ? this.template.Resources : {};
  }

  eval(v: unknown): unknown {
    if (this.depth >= MAX_EVAL_DEPTH) throw new TemplateError(`intrinsic functions, lists and mappings nest more than ${MAX_EVAL_DEPTH} levels deep`);
    this.depth++;
    try {
      return this.evalNode(v);
    } finally {
      this.depth--;
    }
  }

  private evalNode(v: unknown): unknown {
    if (Array.isArray(v)) return v.map((x) => this.eval(x)).filter((x) => x !== NO_VALUE);
    if (!isObject(v)) return v;
    const keys = Object.keys(v);
    if (keys.length !== 1 || !(keys[0] === 'Ref' || keys[0] === 'Condition' || keys[0]!.startsWith('Fn::'))) {
      const out: Json = {};
      for (const [k, x] of Object.entries(v)) {
        const e = this.eval(x);
        if (e !== NO_VALUE) out[k] = e;
      }
      return out;
    }
    const fn = keys[0]!;
    const arg = v[fn];
    switch (fn) {
      case 'Ref': {
        const name = String(arg);
        if (name === 'AWS::NoValue') return NO_VALUE;
        if (this.params.has(name)) return this.params.get(name);
        if (name in this.resources()) return { resourceRef: name } satisfies ResourceRef;
        const declared = isObject(this.template.Parameters) && name in this.template.Parameters;
        const shown = excerpt(name);
        throw new Unresolved(declared ? `parameter ${shown} has no Default (pass --param ${shown}=VALUE)` : `!Ref ${shown} is not a parameter or resource of this template (pass --param ${shown}=VALUE)`);
      }
      case 'Fn::Select': {
        const a = this.eval(arg);
        if (!Array.isArray(a) || a.length !== 2) throw new Unresolved('!Select needs [index, list]');
        const i = Number(a[0]);
        const list = typeof a[1] === 'string' ? a[1].split(',') : a[1];
        if (!Array.isArray(list) || !Number.isInteger(i) || i < 0 || i >= list.length) throw new Unresolved(`!Select index ${describeValue(a[0])} outside the list`);
        return list[i];
      }
      case 'Fn::Join': {
        const a = this.eval(arg);
        if (!Array.isArray(a) || a.length !== 2 || !Array.isArray(a[1])) throw new Unresolved('!Join needs [separator, list]');
        const parts = a[1].map((x) => String(this.scalar(x)));
        const sep = String(a[0]);
        let length = sep.length * Math.max(0, parts.length - 1);
        for (const p of parts) length += p.length;
        if (length > MAX_STRING) throw new TemplateError(`!Join builds a string of ${length} characters, more than ${MAX_STRING}`);
        return parts.join(sep);
      }
      case 'Fn::Split': {
        const a = this.eval(arg);
        if (!Array.isArray(a) || a.length !== 2) throw new Unresolved('!Split needs [separator, string]');
        return String(this.scalar(a[1])).split(String(a[0]));
      }
      case 'Fn::Sub': {
        const [tpl, vars] = Array.isArray(arg) ? [arg[0], this.eval(arg[1] ?? {})] : [arg, {}];
        const text = String(tpl);
        let length = text.length;
        return text.replace(/\$\{([^}!][^}]*)\}/g, (whole: string, name: string) => {
          let value: string;
          if (isObject(vars) && name in vars) value = String(this.scalar(vars[name]));
          else if (this.params.has(name)) value = String(this.scalar(this.params.get(name)));
          else throw new Unresolved(`!Sub \${${excerpt(name)}} has no value (pass --param ${excerpt(name)}=VALUE)`);
          length += value.length - whole.length;
          if (length > MAX_STRING) throw new TemplateError(`!Sub builds a string of more than ${MAX_STRING} characters`);
          return value;
        });
      }
      case 'Fn::FindInMap': {
        const a = this.eval(arg);
        if (!Array.isArray(a) || a.length < 3) throw new Unresolved('!FindInMap needs [map, key, key]');
        const maps = isObject(this.template.Mappings) ? this.template.Mappings : {};
        const m = maps[String(a[0])];
        const l1 = isObject(m) ? m[String(a[1])] : undefined;
        const l2 = isObject(l1) ? l1[String(a[2])] : undefined;
        if (l2 === undefined) throw new Unresolved(`!FindInMap ${excerpt(a.slice(0, 3).map(String).join('.'))} not in Mappings`);
        return l2;
      }
      case 'Fn::If': {
        if (!Array.isArray(arg) || arg.length !== 3) throw new Unresolved('!If needs [condition, then, else]');
        return this.eval(this.condition(String(arg[0])) ? arg[1] : arg[2]);
      }
      case 'Fn::Equals': {
        const a = this.eval(arg);
        if (!Array.isArray(a) || a.length !== 2) throw new Unresolved('!Equals needs two values');
        return String(this.scalar(a[0])) === String(this.scalar(a[1]));
      }
      case 'Fn::Not': {
        const a = this.eval(arg);
        return !(Array.isArray(a) ? a[0] : a);
      }
      case 'Fn::And':
      case 'Fn::Or': {
        const a = this.eval(arg);
        if (!Array.isArray(a)) throw new Unresolved(`${fn} needs a list`);
        return fn === 'Fn::And' ? a.every(Boolean) : a.some(Boolean);
      }
      case 'Condition':
        return this.condition(String(arg));
      default:
        throw new Unresolved(`!${excerpt(fn.replace('Fn::', ''))} is only known once the stack is deployed`);
    }
  }

  condition(name: string): boolean {
    const known = this.conditions.get(name);
    if (known !== undefined) return known;
    const all = isObject(this.template.Conditions) ? this.template.Conditions : {};
    if (!Object.hasOwn(all, name)) throw new Unresolved(`condition ${excerpt(name)} is not defined`);
    const at = this.deciding.indexOf(name);
    if (at >= 0) {
      const chain = [...this.deciding.slice(at), name].map((c) => excerpt(c, 40)).join(' -> ');
      throw new TemplateError(`Conditions refer to each other in a loop: ${chain}`, `Conditions.${excerpt(this.deciding[0]!, 40)}`);
    }
    this.deciding.push(name);
    let v: boolean;
    try {
      v = Boolean(this.eval(all[name]));
    } finally {
      this.deciding.pop();
    }
    this.conditions.set(name, v);
    return v;
  }

  scalar(v: unknown): unknown {
    if (isResourceRef(v)) throw new Unresolved(`!Ref ${excerpt(v.resourceRef)} is a resource id, only known once deployed`);
    return v;
  }
}

/** Every network ACL of a template; `params` override parameter defaults. */
export function parseCloudFormation(doc: unknown, file: string, opts: BuildOptions & { params?: Record<string, string> } = {}): Acl[] {
  if (!isObject(doc) || !isObject(doc.Resources)) throw new AclInvalidError(file, 'not a CloudFormation template: no Resources');
  const resources = doc.Resources;
  const ev = new Evaluator(doc, opts.params ?? {});
  // Resource ids and condition names are echoed in messages and paths: cut to a readable length.
  const at = (id: string): string => `Resources.${excerpt(id, 80)}`;
  const templateError = (e: TemplateError, path: string): AclInvalidError => new AclInvalidError(file, e.message, { path: e.path ?? path });
  const field = (id: string, name: string, v: unknown): unknown => {
    try {
      const out = ev.eval(v);
      return out === NO_VALUE ? undefined : out;
    } catch (e) {
      if (e instanceof Unresolved) throw new AclInvalidError(file, `cannot resolve ${name}: ${e.message}`, { path: `${at(id)}.Properties.${name}` });
      if (e instanceof TemplateError) throw templateError(e, `${at(id)}.Properties.${name}`);
      throw e;
    }
  };
  const lenient = (path: string, v: unknown): unknown => {
    try {
      return ev.eval(v);
    } catch (e) {
      if (e instanceof Unresolved) return undefined;
      if (e instanceof TemplateError) throw templateError(e, path);
      throw e;
    }
  };
  const active = (id: string, r: Json): boolean => {
    if (r.Condition === undefined) return true;
    if (typeof r.Condition !== 'string') throw new AclInvalidError(file, `Condition ${describeValue(r.Condition)} is not the name of a condition`, { path: `${at(id)}.Condition` });
    try {
      return ev.condition(r.Condition);
    } catch (e) {
      if (e instanceof Unresolved) throw new AclInvalidError(file, `cannot decide Condition ${excerpt(r.Condition)}: ${e.message}`, { path: `${at(id)}.Condition` });
      if (e instanceof TemplateError) throw templateError(e, `${at(id)}.Condition`);
      throw e;
    }
  };

  const acls = new Map<string, { tags: Record<string, string>; entries: EntrySpec[]; associations: Acl['associations'] }>();
  for (const [id, r] of Object.entries(resources)) {
    if (!isObject(r) || r.Type !== 'AWS::EC2::NetworkAcl' || !active(id, r)) continue;
    const props = isObject(r.Properties) ? r.Properties : {};
    const pairs: [string, string][] = [];
    if (Array.isArray(props.Tags)) {
      for (const t of props.Tags) {
        if (!isObject(t)) continue;
        const k = lenient(`${at(id)}.Properties.Tags`, t.Key);
        const v = lenient(`${at(id)}.Properties.Tags`, t.Value);
        if (typeof k === 'string' && (typeof v === 'string' || typeof v === 'number')) pairs.push([k, String(v)]);
      }
    }
    // Own properties for every key, "__proto__" too.
    const tags: Record<string, string> = Object.fromEntries(pairs);
    acls.set(id, { tags, entries: [], associations: [] });
  }
  for (const [id, r] of Object.entries(resources)) {
    if (!isObject(r) || (r.Type !== 'AWS::EC2::NetworkAclEntry' && r.Type !== 'AWS::EC2::SubnetNetworkAclAssociation') || !active(id, r)) continue;
    const props = isObject(r.Properties) ? r.Properties : {};
    const base = `${at(id)}.Properties`;
    if (r.Type === 'AWS::EC2::NetworkAclEntry') {
      const aclRef = field(id, 'NetworkAclId', props.NetworkAclId);
      const aclId = isResourceRef(aclRef) ? aclRef.resourceRef : typeof aclRef === 'string' ? aclRef : null;
      if (aclId === null) throw new AclInvalidError(file, 'NetworkAclId is missing', { path: `${base}.NetworkAclId` });
      if (!acls.has(aclId)) acls.set(aclId, { tags: {}, entries: [], associations: [] });
      const egress = boolValue(field(id, 'Egress', props.Egress) ?? false);
      if (egress === null) throw new AclInvalidError(file, `Egress ${describeValue(props.Egress)} is not true or false`, { path: `${base}.Egress` });
      const ports = field(id, 'PortRange', props.PortRange);
      const icmp = field(id, 'Icmp', props.Icmp);
      acls.get(aclId)!.entries.push({
        ruleNumber: field(id, 'RuleNumber', props.RuleNumber),
        egress,
        protocol: field(id, 'Protocol', props.Protocol),
        action: field(id, 'RuleAction', props.RuleAction),
        cidrBlock: field(id, 'CidrBlock', props.CidrBlock),
        ipv6CidrBlock: field(id, 'Ipv6CidrBlock', props.Ipv6CidrBlock),
        hasPorts: isObject(ports),
        portFrom: isObject(ports) ? ports.From : undefined,
        portTo: isObject(ports) ? ports.To : undefined,
        icmpType: isObject(icmp) ? icmp.Type : undefined,
        icmpCode: isObject(icmp) ? icmp.Code : undefined,
        where: { path: at(id) },
        field: (name: string) => ({ path: `${base}.${name.replace('IcmpTypeCode', 'Icmp')}` }),
        description: id,
      });
    } else if (r.Type === 'AWS::EC2::SubnetNetworkAclAssociation') {
      const aclRef = lenient(`${base}.NetworkAclId`, props.NetworkAclId);
      const aclId = isResourceRef(aclRef) ? aclRef.resourceRef : typeof aclRef === 'string' ? aclRef : null;
      if (aclId === null) continue;
      const subnet = lenient(`${base}.SubnetId`, props.SubnetId);
      const subnetId = isResourceRef(subnet) ? subnet.resourceRef : typeof subnet === 'string' ? subnet : null;
      const cidrs: string[] = [];
      if (isResourceRef(subnet)) {
        const s = resources[subnet.resourceRef];
        const sp = isObject(s) && isObject(s.Properties) ? s.Properties : {};
        const v4 = lenient(`${at(subnet.resourceRef)}.Properties.CidrBlock`, sp.CidrBlock);
        const v6 = lenient(`${at(subnet.resourceRef)}.Properties.Ipv6CidrBlock`, sp.Ipv6CidrBlock);
        if (typeof v4 === 'string') cidrs.push(v4);
        if (typeof v6 === 'string') cidrs.push(v6);
      }
      if (!acls.has(aclId)) acls.set(aclId, { tags: {}, entries: [], associations: [] });
      const list = acls.get(aclId)!.associations;
      if (cidrs.length === 0) list.push({ subnetId, cidr: null });
      for (const cidr of cidrs) list.push({ subnetId, cidr });
    }
  }
  if (acls.size === 0) throw new AclInvalidError(file, 'template has no AWS::EC2::NetworkAcl or AWS::EC2::NetworkAclEntry resources');
  return [...acls.entries()].map(([id, a]) =>
    buildAwsAcl({ id, name: a.tags.Name ?? null, file, format: 'cloudformation', associations: a.associations, tags: a.tags }, a.entries, opts),
  );
}
