/**
 * The native YAML format for hand-written candidates, with AWS network-ACL semantics (README.md, "Native YAML"):
 *   acls:
 *     - id: app-nacl
 *       subnets: [10.0.1.0/24]
 *       inbound:
 *         - { rule: 100, proto: tcp, ports: 443, cidr: 0.0.0.0/0, action: allow }
 *       outbound:
 *         - { rule: 100, proto: tcp, ports: 32768-65535, cidr: 0.0.0.0/0, action: allow }
 * A file may also hold one ACL at the top level (id, inbound, outbound). Errors name the line.
 */
import { isMap, isSeq, type Document, type Node } from 'yaml';
import { AclInvalidError } from '../../errors.js';
import { describeValue, excerpt } from '../../text/quote.js';
import { parseYaml, type ParsedYaml } from '../yaml-parse.js';
import type { Acl } from '../model.js';
import { buildAwsAcl, type BuildOptions, type EntrySpec } from './entries.js';

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** True for a parsed document in the native format. */
export function looksLikeNativeYaml(doc: unknown): boolean {
  if (!isObject(doc)) return false;
  if (Array.isArray(doc.acls)) return true;
  return Array.isArray(doc.inbound) || Array.isArray(doc.outbound);
}

const RULE_KEYS = new Set(['rule', 'proto', 'protocol', 'ports', 'port', 'cidr', 'action', 'icmp', 'description']);
const ACL_KEYS = new Set(['id', 'name', 'subnets', 'inbound', 'outbound', 'tags']);

/** Parse the native format (`parsed`: the document already parsed from `text` the native way, if it was). */
export function parseNativeYaml(text: string, file: string, opts: BuildOptions = {}, parsed: ParsedYaml | null = null): Acl[] {
  const { doc, value: js, lines: lc } = parsed ?? parseYaml(text, file);
  const lineOf = (path: (string | number)[]): { line?: number; path?: string } => {
    const node = nodeAt(doc, path);
    const text = pathText(path);
    if (node && node.range) return { line: lc.linePos(node.range[0]).line, path: text };
    return { path: text };
  };
  if (!isObject(js)) throw new AclInvalidError(file, 'expected a mapping with an acls list');
  const list: { acl: Json; path: (string | number)[] }[] = Array.isArray(js.acls)
    ? js.acls.map((a, i) => ({ acl: a as Json, path: ['acls', i] }))
    : [{ acl: js, path: [] }];
  const seen = new Set<string>();
  return list.map(({ acl, path }, i) => {
    if (!isObject(acl)) throw new AclInvalidError(file, 'expected an ACL mapping (id, inbound, outbound)', lineOf(path));
    for (const k of Object.keys(acl)) if (!ACL_KEYS.has(k) && path.length > 0) throw new AclInvalidError(file, `unknown ACL key ${describeValue(k)} (expected ${[...ACL_KEYS].join(', ')})`, lineOf([...path, k]));
    const id = acl.id === undefined ? `acl${i + 1}` : String(acl.id);
    if (seen.has(id)) throw new AclInvalidError(file, `duplicate ACL id ${describeValue(id)}`, lineOf([...path, 'id']));
    seen.add(id);
    const subnets = acl.subnets === undefined ? [] : acl.subnets;
    if (!Array.isArray(subnets) || !subnets.every((s) => typeof s === 'string')) throw new AclInvalidError(file, 'subnets must be a list of CIDRs', lineOf([...path, 'subnets']));
    const specs: EntrySpec[] = [];
    for (const direction of ['inbound', 'outbound'] as const) {
      const rules = acl[direction] ?? [];
      if (!Array.isArray(rules)) throw new AclInvalidError(file, `${direction} must be a list of rules`, lineOf([...path, direction]));
      rules.forEach((r, j) => {
        const rp = [...path, direction, j];
        if (!isObject(r)) throw new AclInvalidError(file, 'expected a rule mapping (rule, proto, ports, cidr, action)', lineOf(rp));
        for (const k of Object.keys(r)) if (!RULE_KEYS.has(k)) throw new AclInvalidError(file, `unknown rule key ${describeValue(k)} (expected rule, proto, ports, cidr, action, icmp, description)`, lineOf([...rp, k]));
        const proto = r.proto ?? r.protocol ?? -1;
        const portsValue = r.ports ?? r.port;
        const ports = parsePorts(portsValue);
        if (ports === null) throw new AclInvalidError(file, `ports ${describeValue(portsValue)} is not a port, a range 'from-to', or [from, to]`, lineOf([...rp, r.ports !== undefined ? 'ports' : 'port']));
        const icmp = r.icmp;
        let icmpType: unknown;
        let icmpCode: unknown;
        if (isObject(icmp)) {
          icmpType = icmp.type;
          icmpCode = icmp.code;
        } else if (icmp !== undefined) {
          icmpType = icmp;
        }
        const cidr = r.cidr;
        const v6 = typeof cidr === 'string' && cidr.includes(':');
        const spec: EntrySpec = {
          ruleNumber: r.rule,
          egress: direction === 'outbound',
          protocol: proto,
          action: r.action,
          cidrBlock: v6 ? undefined : cidr,
          ipv6CidrBlock: v6 ? cidr : undefined,
          hasPorts: true,
          portFrom: ports?.[0] ?? 0,
          portTo: ports?.[1] ?? 65535,
          icmpType,
          icmpCode,
          where: lineOf(rp),
          field: (name: string) => lineOf([...rp, name]),
          names: { ruleNumber: 'rule', protocol: 'proto', action: 'action', cidrBlock: 'cidr', ipv6CidrBlock: 'cidr', portFrom: 'ports', portTo: 'ports', icmpType: 'icmp', icmpCode: 'icmp' },
        };
        if (typeof r.description === 'string') spec.description = r.description;
        specs.push(spec);
      });
    }
    const tags = isObject(acl.tags) ? Object.fromEntries(Object.entries(acl.tags).map(([k, v]) => [k, String(v)])) : {};
    const name = acl.name !== undefined ? String(acl.name) : (tags.Name ?? null);
    return buildAwsAcl({ id, name, file, format: 'yaml', associations: (subnets as string[]).map((cidr) => ({ subnetId: null, cidr })), tags }, specs, opts);
  });
}

/** "443", 443, "1024-65535", [1024, 65535], "all"/"any" or absent (all ports); null when malformed. */
function parsePorts(v: unknown): [unknown, unknown] | null {
  if (v === undefined || v === null) return [0, 65535];
  if (typeof v === 'number') return [v, v];
  if (Array.isArray(v)) return v.length === 2 ? [v[0], v[1]] : null;
  if (typeof v !== 'string') return null;
  const s = v.trim().toLowerCase();
  if (s === 'all' || s === 'any') return [0, 65535];
  const m = /^(-?\d+)\s*(?:-\s*(-?\d+))?$/.exec(s);
  if (!m) return null;
  return [Number(m[1]), Number(m[2] ?? m[1])];
}

function nodeAt(doc: Document, path: (string | number)[]): Node | null {
  let node: unknown = doc.contents;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === key);
      node = pair ? (pair.value ?? pair.key) : null;
    } else if (isSeq(node) && typeof key === 'number') node = node.items[key] ?? null;
    else return null;
    if (node === null) return null;
  }
  return node as Node;
}

function pathText(path: (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? excerpt(p, 60) : `.${excerpt(p, 60)}`)).join('');
}
